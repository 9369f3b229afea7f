// Package model owns the typed Go form of an aimesh platform: the structs
// that the validated CUE value decodes into, and the per-environment
// resolution that applies an environment's overrides to the base platform.
//
// Every entity carries the CUE path it was decoded from, so that checks in
// generator/check can report the file:line:col of an offending value.
package model
