// Package diag owns aimesh's diagnostics: one finding with its CUE
// position (file:line:col relative to the repository), the CUE path of the
// offending value, a message and a hint that says what to do. Diagnostics
// from CUE evaluation and from the Go checks share this form, are sorted,
// and are reported all at once.
package diag
