// Package scaffold holds what aimesh init writes into a new GitOps
// repository: the CUE module with a platform (the small starter under
// starter/, or the bundled reference platform of cue/), the aimesh schema
// module vendored into cue/cue.mod/pkg, .gitignore, CI workflows for
// GitHub Actions and GitLab CI, and a README. Files returns them as an
// emit.Tree; generator/emit writes it.
package scaffold
