package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CollapseAfter is the number of body lines above which a Markdown
// section is folded into a <details> element.
const CollapseAfter = 20

// maxValue is the longest value (in runes) text and Markdown print; JSON
// is never truncated.
const maxValue = 160

// SchemaVersion identifies the JSON layout written by WriteJSON.
const SchemaVersion = "aimesh.dev/diff/v1"

// WriteText writes the report for a terminal: one block per section that
// differs, then a summary line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "aimesh diff: %s → %s\n", r.Base, r.Head)
	if !r.HasDifferences() {
		fmt.Fprintf(&b, "no differences (%s compared)\n", plural(len(r.Sections), "section"))
		_, err := io.WriteString(w, b.String())
		return err
	}
	var added, removed, changed, differ int
	for _, s := range r.Sections {
		if s.Empty() {
			continue
		}
		differ++
		added += len(s.Added)
		removed += len(s.Removed)
		changed += len(s.Changed)
		fmt.Fprintf(&b, "\n%s: %s\n", s.Section, counts(s))
		for _, l := range s.lines() {
			b.WriteString("  " + l + "\n")
		}
	}
	fmt.Fprintf(&b, "\n%d added, %d removed, %d changed in %d of %s\n", added, removed, changed, differ, plural(len(r.Sections), "section"))
	_, err := io.WriteString(w, b.String())
	return err
}

// DefaultMarkdownLimit is the default size limit of the Markdown output,
// in characters: GitHub refuses comments over 65,536.
const DefaultMarkdownLimit = 60000

// MarkdownOptions tune WriteMarkdownWith.
type MarkdownOptions struct {
	// Limit is the maximum size of the output in characters (runes);
	// 0 means DefaultMarkdownLimit.
	Limit int
	// Full says where the complete diff is, for the note written when
	// sections are left out (e.g. "the aimesh-diff artifact of this run").
	// Empty: a hint to run aimesh diff --format text or json.
	Full string
}

// WriteMarkdown is WriteMarkdownWith with the default options.
func (r *Report) WriteMarkdown(w io.Writer) error {
	return r.WriteMarkdownWith(w, MarkdownOptions{})
}

// WriteMarkdownWith writes the report as a pull-request comment, summary
// first: a table of every compared section with its counts; then the
// changes grouped by kind and field across all objects and sections
// ("1,500 × Deployment `spec.replicas` 1 → 2"), added and removed objects
// by kind; then the differences of each section in a diff code block,
// folded into <details> when longer than CollapseAfter lines. The output
// never exceeds opts.Limit characters: groups and sections that do not
// fit are left out and a closing note says how many and where the full
// diff is.
func (r *Report) WriteMarkdownWith(w io.Writer, opts MarkdownOptions) error {
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultMarkdownLimit
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### aimesh diff: %s → %s\n\n", mdCode(r.Base), mdCode(r.Head))
	if !r.HasDifferences() {
		fmt.Fprintf(&b, "No differences in the rendered output (%s compared).\n", plural(len(r.Sections), "section"))
		_, err := io.WriteString(w, truncateRunes(b.String(), limit))
		return err
	}
	b.WriteString("| env | target | added | removed | changed |\n")
	b.WriteString("|:----|:-------|------:|--------:|--------:|\n")
	for _, s := range r.Sections {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d |\n", mdCell(s.Env), mdCell(s.Target), len(s.Added), len(s.Removed), len(s.Changed))
	}
	note := func(what string) string {
		where := opts.Full
		if where == "" {
			where = "`aimesh diff --format text` (or `--format json`)"
		}
		return "\n> **Cut to fit " + groupDigits(limit) + " characters:** " + what + " left out. The full diff: " + mdCell(where) + ".\n"
	}
	// Reserve room for the closing note.
	budget := limit - utf8.RuneCountInString(note("999,999 groups of changes and 999,999 sections are")) - 1
	used := utf8.RuneCountInString(b.String())
	put := func(s string) {
		b.WriteString(s)
		used += utf8.RuneCountInString(s)
	}
	if used > budget {
		// Even the table does not fit: keep what fits of it.
		out := truncateRunes(b.String(), budget) + "\n" + note("everything after the first lines is")
		_, err := io.WriteString(w, truncateRunes(out, limit))
		return err
	}

	groups := r.fieldGroups()
	put("\n**Changes by field** (objects of all sections):\n\n")
	put("| objects | kind | field | change |\n")
	put("|--------:|:-----|:------|:-------|\n")
	leftGroups := 0
	for i, g := range groups {
		row := fmt.Sprintf("| %s | %s | %s | %s |\n", groupDigits(g.count), mdCell(g.kind), mdCellCode(g.path), mdCell(g.change))
		if used+utf8.RuneCountInString(row) > budget {
			leftGroups = len(groups) - i
			break
		}
		put(row)
	}
	leftSections := 0
	for _, s := range r.Sections {
		if s.Empty() {
			continue
		}
		if leftGroups > 0 || leftSections > 0 {
			leftSections++
			continue
		}
		var sb strings.Builder
		lines := s.lines()
		fence := fenceFor(lines)
		title := mdCell(s.Env) + " / " + mdCell(s.Target)
		if len(lines) > CollapseAfter {
			fmt.Fprintf(&sb, "\n<details><summary><b>%s</b>: %s</summary>\n\n", title, counts(s))
		} else {
			fmt.Fprintf(&sb, "\n#### %s\n\n", title)
		}
		sb.WriteString(fence + "diff\n")
		for _, l := range lines {
			sb.WriteString(l + "\n")
		}
		sb.WriteString(fence + "\n")
		if len(lines) > CollapseAfter {
			sb.WriteString("\n</details>\n")
		}
		if used+utf8.RuneCountInString(sb.String()) > budget {
			leftSections++
			continue
		}
		put(sb.String())
	}
	if leftGroups > 0 || leftSections > 0 {
		var what []string
		if leftGroups > 0 {
			what = append(what, plural(leftGroups, "group")+" of changes")
		}
		if leftSections > 0 {
			what = append(what, "the details of "+plural(leftSections, "section"))
		}
		verb := " are"
		b.WriteString(note(strings.Join(what, " and ") + verb))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fieldGroup is one row of "Changes by field": the same change of the
// same field in objects of one kind.
type fieldGroup struct {
	kind, path, change string
	count              int
}

var listSelector = regexp.MustCompile(`\[(?:[0-9]+|name=(?:"(?:[^"\\]|\\.)*"|[^\]]*))\]`)

// fieldGroups groups the changes of every section by kind, field path
// (list selectors generalised to [*]) and change; added and removed
// objects are grouped by kind. Largest groups first.
func (r *Report) fieldGroups() []fieldGroup {
	count := map[fieldGroup]int{}
	for _, s := range r.Sections {
		amb := ambiguousKinds(s)
		kind := func(id ObjectID) string {
			if amb[id.Kind] && id.Group != "" {
				return id.Kind + "." + id.Group
			}
			return id.Kind
		}
		for _, id := range s.Added {
			count[fieldGroup{kind: kind(id), path: "", change: "object added"}]++
		}
		for _, id := range s.Removed {
			count[fieldGroup{kind: kind(id), path: "", change: "object removed"}]++
		}
		for _, o := range s.Changed {
			for _, c := range o.Changes {
				g := fieldGroup{kind: kind(o.Object), path: listSelector.ReplaceAllString(c.Path, "[*]")}
				line := c.String()
				g.change = strings.TrimPrefix(line, c.Path+": ")
				count[g]++
			}
		}
	}
	out := make([]fieldGroup, 0, len(count))
	for g, n := range count {
		g.count = n
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.count != b.count {
			return a.count > b.count
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.path != b.path {
			return a.path < b.path
		}
		return a.change < b.change
	})
	return out
}

// groupDigits writes n with thousands separators: 1,500.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + groupDigits(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func mdCellCode(s string) string {
	if s == "" {
		return ""
	}
	return mdCell(mdCode(s))
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// jsonReport is the JSON layout (SchemaVersion).
type jsonReport struct {
	Schema    string `json:"schema"`
	Different bool   `json:"different"`
	*Report
}

// WriteJSON writes the report as one indented JSON object:
//
//	{
//	  "schema": "aimesh.dev/diff/v1",
//	  "different": true,             // any section differs
//	  "base": "origin/main",         // version names
//	  "head": "working tree",
//	  "sections": [                  // every compared env/target, sorted
//	    {
//	      "env": "prod", "target": "ack",
//	      "added":   [ObjectID…],      // never null
//	      "removed": [ObjectID…],
//	      "changed": [{"object": ObjectID, "changes": [Change…]}]
//	    }
//	  ]
//	}
//
// An ObjectID is {"group", "kind", "namespace" (omitted when cluster
// scoped), "name"}; group is "" for the core API. A Change is {"path",
// "op": added|removed|changed|reordered, "from", "to", "masked"}: from is
// omitted for added, to for removed (and either when the value is null);
// masked values read "***". Arrays keep the order of the text output.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(jsonReport{Schema: SchemaVersion, Different: r.HasDifferences(), Report: r}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func counts(s SectionDiff) string {
	return fmt.Sprintf("%d added, %d removed, %d changed", len(s.Added), len(s.Removed), len(s.Changed))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// lines is the body of a section: "+ added", "- removed", "~ changed"
// objects, each changed object followed by its field changes.
func (s SectionDiff) lines() []string {
	amb := ambiguousKinds(s)
	var out []string
	for _, id := range s.Added {
		out = append(out, "+ "+display(id, amb))
	}
	for _, id := range s.Removed {
		out = append(out, "- "+display(id, amb))
	}
	for _, o := range s.Changed {
		out = append(out, "~ "+display(o.Object, amb))
		for _, c := range o.Changes {
			out = append(out, "    "+c.String())
		}
	}
	return out
}

// ambiguousKinds returns the kinds that appear with more than one API
// group in a section; those are displayed as Kind.group.
func ambiguousKinds(s SectionDiff) map[string]bool {
	groups := map[string]map[string]bool{}
	add := func(id ObjectID) {
		if groups[id.Kind] == nil {
			groups[id.Kind] = map[string]bool{}
		}
		groups[id.Kind][id.Group] = true
	}
	for _, id := range s.Added {
		add(id)
	}
	for _, id := range s.Removed {
		add(id)
	}
	for _, o := range s.Changed {
		add(o.Object)
	}
	out := map[string]bool{}
	for k, g := range groups {
		if len(g) > 1 {
			out[k] = true
		}
	}
	return out
}

func display(id ObjectID, ambiguous map[string]bool) string {
	if ambiguous[id.Kind] && id.Group != "" {
		id.Kind += "." + id.Group
	}
	return id.String()
}

// String is the one-line form of a change used by the text and Markdown
// output:
//
//	path: FROM → TO            changed
//	path: (added) VALUE        added
//	path: (removed) VALUE      removed
//	path: (reordered) [names] → [names]
//	path: *** (changed)        masked (also "*** (added)", "*** (removed)")
func (c Change) String() string {
	switch {
	case c.Masked:
		return c.Path + ": " + Masked + " (" + string(c.Op) + ")"
	case c.Op == Added:
		return c.Path + ": (added) " + FormatValue(c.To)
	case c.Op == Removed:
		return c.Path + ": (removed) " + FormatValue(c.From)
	case c.Op == Reordered:
		return c.Path + ": (reordered) " + FormatValue(c.From) + " → " + FormatValue(c.To)
	}
	return c.Path + ": " + FormatValue(c.From) + " → " + FormatValue(c.To)
}

var (
	plainString = regexp.MustCompile(`^[^\s"'(\[{*&!|>%#?,~` + "`" + `-][^\n\r\t]*$`)
	numberLike  = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
)

// FormatValue prints a value on one line: scalars as in YAML (strings
// quoted only when they would read as something else), maps and lists as
// compact JSON, cut after 160 runes.
func FormatValue(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		if plainString.MatchString(v) && !strings.HasSuffix(v, " ") && !numberLike.MatchString(v) &&
			!strings.Contains(v, " → ") {
			switch strings.ToLower(v) {
			case "true", "false", "null", "yes", "no", "on", "off":
			default:
				s = v
			}
		}
		if s == "" {
			s = strconv.Quote(v)
		}
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		s = string(b)
	}
	if utf8.RuneCountInString(s) > maxValue {
		rs := []rune(s)
		s = string(rs[:maxValue-1]) + "…"
	}
	return s
}

func mdCode(s string) string {
	n := longestRun(s, '`')
	tick := strings.Repeat("`", n+1)
	if n > 0 {
		return tick + " " + s + " " + tick
	}
	return tick + s + tick
}

func longestRun(s string, c rune) int {
	best, cur := 0, 0
	for _, r := range s {
		if r == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

func fenceFor(lines []string) string {
	n := 3
	for _, l := range lines {
		if r := longestRun(l, '`'); r >= n {
			n = r + 1
		}
	}
	return strings.Repeat("`", n)
}

// mdCell escapes the characters that would break a table cell or inject
// markup.
func mdCell(s string) string {
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ")
	return r.Replace(s)
}
