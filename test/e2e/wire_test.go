package e2e

import (
	"encoding/json"
	"time"
)

// The bodies of API.md, decoded strictly (an unknown field fails the test);
// the OpenAPI check of every answer makes sure the required ones are there.

type apiError struct {
	Code             string         `json:"code"`
	Message          string         `json:"message"`
	Details          map[string]any `json:"details"`
	RequestID        string         `json:"request_id"`
	DocumentationURL string         `json:"documentation_url"`
}

type errorBody struct {
	Error apiError `json:"error"`
}

type userRef struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

type tenantRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type registration struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userRef   `json:"user"`
	Tenant    tenantRef `json:"tenant"`
}

type issuedToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

type membership struct {
	Tenant tenantRef `json:"tenant"`
	Role   string    `json:"role"`
}

type meView struct {
	User        userRef      `json:"user"`
	Memberships []membership `json:"memberships"`
}

type environment struct {
	Name     string `json:"name"`
	Position int    `json:"position"`
}

type environmentList struct {
	Environments []environment `json:"environments"`
}

type asset struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type assetDetail struct {
	asset
	Versions map[string]int `json:"versions"`
}

type assetList struct {
	Assets     []asset `json:"assets"`
	NextCursor *string `json:"next_cursor"`
}

// valueEntry is one key's entry; Value is nil when the field is absent (as
// for a secret) and "null" for a JSON null.
type valueEntry struct {
	Value  json.RawMessage `json:"value"`
	Secret bool            `json:"secret"`
}

type environmentValues struct {
	Asset       string                           `json:"asset"`
	Environment string                           `json:"environment"`
	Version     int                              `json:"version"`
	Values      map[string]map[string]valueEntry `json:"values"`
}

type diff struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

type promoteResult struct {
	From    string `json:"from"`
	To      string `json:"to"`
	DryRun  bool   `json:"dry_run"`
	Version *int   `json:"version"`
	Diff    diff   `json:"diff"`
}

type versionInfo struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Message   *string   `json:"message"`
	Source    string    `json:"source"`
}

type versionList struct {
	Versions []versionInfo `json:"versions"`
}

type rollbackResult struct {
	Environment  string `json:"environment"`
	Version      int    `json:"version"`
	RestoredFrom int    `json:"restored_from"`
}

type resolvedConfig struct {
	Asset       string                                `json:"asset"`
	Environment string                                `json:"environment"`
	Version     int                                   `json:"version"`
	Config      map[string]map[string]json.RawMessage `json:"config"`
}

type member struct {
	User userRef `json:"user"`
	Role string  `json:"role"`
}

type memberList struct {
	Members []member `json:"members"`
}

type apiKeyCreated struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Key         string     `json:"key"`
	Prefix      string     `json:"prefix"`
	Environment *string    `json:"environment"`
	ExpiresAt   *time.Time `json:"expires_at"`
}

type apiKeyView struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Prefix      string     `json:"prefix"`
	Environment *string    `json:"environment"`
	ExpiresAt   *time.Time `json:"expires_at"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
}

type apiKeyList struct {
	APIKeys []apiKeyView `json:"api_keys"`
}

type auditEntry struct {
	Seq          int64          `json:"seq"`
	Action       string         `json:"action"`
	Actor        any            `json:"actor"`
	Target       any            `json:"target"`
	Details      map[string]any `json:"details"`
	CreatedAt    time.Time      `json:"created_at"`
	PreviousHash string         `json:"previous_hash"`
	Hash         string         `json:"hash"`
}

type auditPage struct {
	Entries    []auditEntry `json:"entries"`
	NextCursor *string      `json:"next_cursor"`
}

type auditVerification struct {
	Valid           bool   `json:"valid"`
	Entries         int64  `json:"entries"`
	HeadHash        string `json:"head_hash"`
	FirstInvalidSeq int64  `json:"first_invalid_seq"`
	Reason          string `json:"reason"`
}

// setValue is one key of a change set's "set".
type setValue struct {
	Value  any  `json:"value"`
	Secret bool `json:"secret"`
}

// objects is a change set's "set": object -> key -> value.
type objects map[string]map[string]setValue

// plain and secret build the values of a change set.
func plain(v any) setValue     { return setValue{Value: v} }
func secret(v string) setValue { return setValue{Value: v, Secret: true} }

type assetSchema struct {
	Asset     string          `json:"asset"`
	Schema    json.RawMessage `json:"schema"`
	UpdatedAt string          `json:"updated_at"`
}

type comparison struct {
	Asset        string        `json:"asset"`
	Environments []string      `json:"environments"`
	Keys         []comparedKey `json:"keys"`
}

type comparedKey struct {
	Key    string          `json:"key"`
	Secret bool            `json:"secret"`
	Values map[string]*int `json:"values"`
}
