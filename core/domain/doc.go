// Package domain holds ConfigMat's entities, validation rules, limits and typed
// errors. It is the leaf of the dependency graph: it imports only the standard
// library, so that the core services, the ports and every adapter can share it
// without an import cycle.
package domain
