// Package archtest holds no code: its test checks the dependency rules of
// docs/ARCHITECTURE.md against the real import graph.
package archtest
