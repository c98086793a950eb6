package catalog

import (
	"fmt"

	"github.com/configmat/configmat/core/domain"
)

// maxCursorLength bounds the opaque page cursors accepted from clients.
const maxCursorLength = 512

// checkPage validates a page request and returns it with the default limit
// applied when none was asked for.
func checkPage(p domain.Problems, page domain.Page) domain.Page {
	switch {
	case page.Limit == 0:
		page.Limit = domain.DefaultPageSize
	case page.Limit < 1 || page.Limit > domain.MaxPageSize:
		p.Add("limit", fmt.Sprintf("must be between 1 and %d", domain.MaxPageSize))
	}
	domain.CheckText(p, "cursor", page.Cursor, maxCursorLength, false)
	return page
}

// checkExpectedVersion validates an optional expected version.
func checkExpectedVersion(p domain.Problems, expected *int) {
	if expected != nil && *expected < 0 {
		p.Add("expected_version", "must be 0 or more")
	}
}

// checkVersionNumber validates the number of an existing version.
func checkVersionNumber(p domain.Problems, field string, n int) {
	switch {
	case n < 1:
		p.Add(field, "must be 1 or more")
	case n > domain.MaxVersion:
		p.Add(field, fmt.Sprintf("must be at most %d", domain.MaxVersion))
	}
}

// checkTarget validates the slug of an asset and the name of one of its
// environments.
func checkTarget(p domain.Problems, slug, envField, env string) {
	domain.CheckSlug(p, "slug", slug)
	domain.CheckEnvironmentName(p, envField, env)
}
