package check

import (
	"math"
	"regexp"
	"unicode"
)

var (
	hexRE   = regexp.MustCompile(`^[0-9a-fA-F]{32,}$`)
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{20,}$`)
)

// LooksSecret reports whether s looks like a credential, in the manner of
// detect-secrets: a long hex string, or a long base64/URL-safe token mixing
// letters and digits, with high Shannon entropy. Words, DNS names, API
// versions, paths and image references do not match (they contain dots or
// have low entropy).
func LooksSecret(s string) bool {
	switch {
	case hexRE.MatchString(s):
		return Entropy(s) >= 3.0
	case tokenRE.MatchString(s):
		var letter, digit bool
		for _, r := range s {
			letter = letter || unicode.IsLetter(r)
			digit = digit || unicode.IsDigit(r)
		}
		return letter && digit && Entropy(s) >= 4.0
	}
	return false
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
