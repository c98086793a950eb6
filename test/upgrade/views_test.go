package upgrade_test

import (
	"encoding/json"
	"time"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
)

// The API's answers, shaped from the core's results as the old release's
// adapters/httpapi shaped them (empty lists as [], a missing cursor as
// null), so that they compare with what it answered.

// environmentList is GET /environments.
type environmentList struct {
	Environments []domain.Environment `json:"environments"`
}

// assetList is GET /assets.
type assetList struct {
	Assets     []domain.Asset `json:"assets"`
	NextCursor *string        `json:"next_cursor"`
}

// memberList is GET /members.
type memberList struct {
	Members []domain.Member `json:"members"`
}

// apiKeyView is one key of GET /api-keys.
type apiKeyView struct {
	ID          domain.APIKeyID `json:"id"`
	Name        string          `json:"name"`
	Prefix      string          `json:"prefix"`
	Environment *string         `json:"environment"`
	ExpiresAt   *time.Time      `json:"expires_at"`
	CreatedAt   time.Time       `json:"created_at"`
	RevokedAt   *time.Time      `json:"revoked_at"`
}

// apiKeyList is GET /api-keys.
type apiKeyList struct {
	APIKeys []apiKeyView `json:"api_keys"`
}

// versionList is GET /assets/{slug}/versions.
type versionList struct {
	Versions []catalog.VersionInfo `json:"versions"`
}

// auditEntryView is one entry of GET /audit.
type auditEntryView struct {
	Seq          int64           `json:"seq"`
	Action       string          `json:"action"`
	Actor        string          `json:"actor"`
	Target       string          `json:"target"`
	Details      json.RawMessage `json:"details"`
	CreatedAt    string          `json:"created_at"`
	PreviousHash string          `json:"previous_hash"`
	Hash         string          `json:"hash"`
}

// auditVerifyView is GET /audit/verify, valid or not.
type auditVerifyView struct {
	Valid           bool   `json:"valid"`
	Entries         int64  `json:"entries"`
	HeadHash        string `json:"head_hash,omitempty"`
	FirstInvalidSeq int64  `json:"first_invalid_seq,omitempty"`
	Reason          string `json:"reason,omitempty"`
}

// viewEnvironments is GET /environments.
func viewEnvironments(envs []domain.Environment) environmentList {
	if envs == nil {
		envs = []domain.Environment{}
	}
	return environmentList{Environments: envs}
}

// viewAssets is GET /assets.
func viewAssets(assets []domain.Asset, cursor string) assetList {
	if assets == nil {
		assets = []domain.Asset{}
	}
	l := assetList{Assets: assets}
	if cursor != "" {
		l.NextCursor = &cursor
	}
	return l
}

// viewAsset is GET /assets/{slug}.
func viewAsset(d catalog.AssetDetail) catalog.AssetDetail {
	if d.Versions == nil {
		d.Versions = map[string]int{}
	}
	return d
}

// viewMembers is GET /members.
func viewMembers(members []domain.Member) memberList {
	if members == nil {
		members = []domain.Member{}
	}
	return memberList{Members: members}
}

// viewAPIKeys is GET /api-keys.
func viewAPIKeys(keys []domain.APIKey) apiKeyList {
	views := make([]apiKeyView, 0, len(keys))
	for _, k := range keys {
		v := apiKeyView{ID: k.ID, Name: k.Name, Prefix: k.Prefix, ExpiresAt: k.ExpiresAt, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
		if k.Environment != "" {
			env := k.Environment
			v.Environment = &env
		}
		views = append(views, v)
	}
	return apiKeyList{APIKeys: views}
}

// viewValues is GET /assets/{slug}/environments/{env} and /versions/{n}.
func viewValues(v catalog.EnvironmentValues) catalog.EnvironmentValues {
	if v.Values == nil {
		v.Values = map[string]map[string]catalog.ValueView{}
	}
	return v
}

// viewVersions is GET /assets/{slug}/versions.
func viewVersions(versions []catalog.VersionInfo) versionList {
	if versions == nil {
		versions = []catalog.VersionInfo{}
	}
	return versionList{Versions: versions}
}

// viewAuditEntry is one entry of GET /audit, created_at as hashed.
func viewAuditEntry(e domain.AuditEntry) auditEntryView {
	details := e.Details
	if len(details) == 0 {
		details = json.RawMessage(`{}`)
	}
	return auditEntryView{
		Seq: e.Seq, Action: e.Action, Actor: e.Actor, Target: e.Target, Details: details,
		CreatedAt: e.CreatedAt.UTC().Format(audit.CreatedAtLayout), PreviousHash: e.PreviousHash, Hash: e.Hash,
	}
}

// viewVerification is GET /audit/verify.
func viewVerification(v audit.Verification) auditVerifyView {
	out := auditVerifyView{Valid: v.Valid, Entries: v.Entries, FirstInvalidSeq: v.FirstInvalidSeq, Reason: v.Reason}
	if v.Valid {
		out.HeadHash = v.HeadHash
		if out.HeadHash == "" {
			out.HeadHash = domain.GenesisHash
		}
	}
	return out
}
