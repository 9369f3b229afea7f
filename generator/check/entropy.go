package check

import (
	"math"
	"regexp"
)

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9+/=_\-.]{20,}$`)

// LooksSecret reports whether s looks like a credential: a long token of
// base64/hex-like characters with high Shannon entropy and mixed character
// classes. URLs, paths and image references do not match.
func LooksSecret(s string) bool {
	if !tokenRE.MatchString(s) {
		return false
	}
	var lower, upper, digit bool
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit} {
		if b {
			classes++
		}
	}
	return classes >= 2 && Entropy(s) >= 3.5
}

// Entropy is the Shannon entropy of s in bits per character.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	freq := map[rune]float64{}
	n := 0.0
	for _, r := range s {
		freq[r]++
		n++
	}
	h := 0.0
	for _, f := range freq {
		p := f / n
		h -= p * math.Log2(p)
	}
	return h
}
