// Package cli owns aimesh's command line: flag parsing, subcommand
// dispatch, exit codes and how diagnostics are printed. Main runs fully
// in-process (cmd/aimesh only calls it), so every subcommand is tested with
// testscript without building a binary.
//
// Exit codes: 0 success, 1 invalid input (or, for diff and check, a
// difference), 2 usage or internal error.
package cli
