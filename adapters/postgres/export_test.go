package postgres

import "github.com/configmat/configmat/core/domain"

// TranslatedConstraint returns the kind a violation of the named constraint
// becomes; ok is false for a constraint the adapter does not know.
func TranslatedConstraint(name string) (kind domain.Kind, ok bool) {
	kind, ok = constraintKinds[name]
	return kind, ok
}
