package catalog

import "github.com/configmat/configmat/core/domain"

// assetTarget names an asset as the target of an audit entry.
func assetTarget(slug string) string { return "asset:" + slug }

// environmentTarget names an environment as the target of an audit entry.
func environmentTarget(name string) string { return "environment:" + name }

// environmentCreated is the detail of environment.created.
type environmentCreated struct {
	Name     string `json:"name"`
	Position int    `json:"position"`
}

// assetCreated is the detail of asset.created.
type assetCreated struct {
	ID   domain.AssetID `json:"id"`
	Slug string         `json:"slug"`
	Name string         `json:"name"`
}

// assetUpdated is the detail of asset.updated: the names of the changed fields.
type assetUpdated struct {
	Slug    string   `json:"slug"`
	Changed []string `json:"changed"`
}

// assetDeleted is the detail of asset.deleted.
type assetDeleted struct {
	ID   domain.AssetID `json:"id"`
	Slug string         `json:"slug"`
}

// valuesChanged is the detail of values.changed: key paths only, never values.
type valuesChanged struct {
	Asset       string   `json:"asset"`
	Environment string   `json:"environment"`
	Version     int      `json:"version"`
	Set         []string `json:"set"`
	Unset       []string `json:"unset"`
}

// valuesPromoted is the detail of values.promoted.
type valuesPromoted struct {
	Asset   string     `json:"asset"`
	From    string     `json:"from"`
	To      string     `json:"to"`
	Version int        `json:"version"`
	Diff    diffDetail `json:"diff"`
}

// diffDetail is a domain.Diff in the details of values.promoted.
type diffDetail struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

// valuesRolledBack is the detail of values.rolled_back.
type valuesRolledBack struct {
	Asset        string `json:"asset"`
	Environment  string `json:"environment"`
	Version      int    `json:"version"`
	RestoredFrom int    `json:"restored_from"`
}

// schemaChanged is the detail of schema.created, schema.updated and
// schema.deleted.
type schemaChanged struct {
	Asset string `json:"asset"`
}
