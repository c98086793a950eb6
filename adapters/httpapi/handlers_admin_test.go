package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

func TestMemberRoutes(t *testing.T) {
	member := domain.Member{User: domain.UserRef{ID: userID, Email: "ada@example.com"}, Role: domain.RoleEditor}
	memberJSON := `{"user":{"id":"` + string(userID) + `","email":"ada@example.com"},"role":"editor"}`
	runCases(t, []routeCase{
		{
			name: "list members",
			req:  get("/api/v1/members"),
			setup: func(a *testAPI) {
				a.identity.listMembers = func(domain.Actor) ([]domain.Member, error) { return []domain.Member{member}, nil }
			},
			status: http.StatusOK, body: `{"members":[` + memberJSON + `]}`,
		},
		{
			name: "list members below admin",
			req:  get("/api/v1/members"),
			setup: func(a *testAPI) {
				a.identity.listMembers = func(domain.Actor) ([]domain.Member, error) { return nil, fail(domain.KindPermissionDenied) }
			},
			status: http.StatusForbidden, code: "PERMISSION_DENIED",
		},
		{
			name: "add a member",
			req:  post("/api/v1/members", `{"email":"ada@example.com","role":"editor"}`),
			setup: func(a *testAPI) {
				a.identity.addMember = func(_ domain.Actor, email string, role domain.Role) (domain.Member, error) {
					if email != "ada@example.com" || role != domain.RoleEditor {
						return domain.Member{}, fail(domain.KindInvalid)
					}
					return member, nil
				}
			},
			status: http.StatusCreated, body: memberJSON,
		},
		{
			name: "add an unknown user",
			req:  post("/api/v1/members", `{"email":"nobody@example.com","role":"viewer"}`),
			setup: func(a *testAPI) {
				a.identity.addMember = func(domain.Actor, string, domain.Role) (domain.Member, error) {
					return domain.Member{}, fail(domain.KindUserNotFound)
				}
			},
			status: http.StatusNotFound, code: "USER_NOT_FOUND",
		},
		{
			name: "add a member twice",
			req:  post("/api/v1/members", `{"email":"ada@example.com","role":"viewer"}`),
			setup: func(a *testAPI) {
				a.identity.addMember = func(domain.Actor, string, domain.Role) (domain.Member, error) {
					return domain.Member{}, fail(domain.KindMemberExists)
				}
			},
			status: http.StatusConflict, code: "MEMBER_ALREADY_EXISTS",
		},
		{
			name:   "add a member with an unknown role",
			req:    post("/api/v1/members", `{"email":"ada@example.com","role":"god"}`),
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
		},
		{
			name: "change a role",
			req:  patch("/api/v1/members/"+string(userID), `{"role":"editor"}`),
			setup: func(a *testAPI) {
				a.identity.updateMember = func(_ domain.Actor, u domain.UserID, role domain.Role) (domain.Member, error) {
					if u != userID || role != domain.RoleEditor {
						return domain.Member{}, fail(domain.KindUserNotFound)
					}
					return member, nil
				}
			},
			status: http.StatusOK, body: memberJSON,
		},
		{
			name: "demote the last owner",
			req:  patch("/api/v1/members/"+string(userID), `{"role":"admin"}`),
			setup: func(a *testAPI) {
				a.identity.updateMember = func(domain.Actor, domain.UserID, domain.Role) (domain.Member, error) {
					return domain.Member{}, fail(domain.KindLastOwner)
				}
			},
			status: http.StatusConflict, code: "LAST_OWNER",
		},
		{
			name:   "change to an unknown role",
			req:    patch("/api/v1/members/"+string(userID), `{"role":""}`),
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
		},
		{
			name: "remove a member",
			req:  del("/api/v1/members/" + string(userID)),
			setup: func(a *testAPI) {
				a.identity.removeMember = func(_ domain.Actor, u domain.UserID) error {
					if u != userID {
						return fail(domain.KindUserNotFound)
					}
					return nil
				}
			},
			status: http.StatusNoContent,
		},
		{
			name: "remove the last owner",
			req:  del("/api/v1/members/" + string(userID)),
			setup: func(a *testAPI) {
				a.identity.removeMember = func(domain.Actor, domain.UserID) error { return fail(domain.KindLastOwner) }
			},
			status: http.StatusConflict, code: "LAST_OWNER",
		},
	})
}

func TestAPIKeyRoutes(t *testing.T) {
	expires := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	keyText := "cmk_" + strings.Repeat("b", 46)
	runCases(t, []routeCase{
		{
			name: "list keys without their secret part",
			req:  get("/api/v1/api-keys"),
			setup: func(a *testAPI) {
				a.identity.listAPIKeys = func(domain.Actor) ([]domain.APIKey, error) {
					return []domain.APIKey{
						{ID: apiKeyID, Name: "ci", Prefix: "cmk_bbbbbbbb", Digest: []byte("digest"), CreatedAt: testNow, CreatedBy: "user:x"},
						{ID: "k2", Name: "prod", Prefix: "cmk_cccccccc", Environment: "prod", ExpiresAt: &expires, RevokedAt: &testNow, CreatedAt: testNow},
					}, nil
				}
			},
			status: http.StatusOK,
			body: `{"api_keys":[
				{"id":"` + string(apiKeyID) + `","name":"ci","prefix":"cmk_bbbbbbbb","environment":null,"expires_at":null,
				 "created_at":"2025-01-02T03:04:05Z","revoked_at":null},
				{"id":"k2","name":"prod","prefix":"cmk_cccccccc","environment":"prod","expires_at":"2026-01-01T00:00:00Z",
				 "created_at":"2025-01-02T03:04:05Z","revoked_at":"2025-01-02T03:04:05Z"}]}`,
		},
		{
			name: "no keys lists []",
			req:  get("/api/v1/api-keys"),
			setup: func(a *testAPI) {
				a.identity.listAPIKeys = func(domain.Actor) ([]domain.APIKey, error) { return nil, nil }
			},
			status: http.StatusOK, body: `{"api_keys":[]}`,
		},
		{
			name: "create a key limited to an environment",
			req:  post("/api/v1/api-keys", `{"name":"prod","environment":"prod","expires_at":"2026-01-01T00:00:00Z"}`),
			setup: func(a *testAPI) {
				a.identity.createAPIKey = func(_ domain.Actor, in identity.APIKeyInput) (identity.CreatedAPIKey, error) {
					if in.Name != "prod" || in.Environment != "prod" || in.ExpiresAt == nil || !in.ExpiresAt.Equal(expires) {
						return identity.CreatedAPIKey{}, fail(domain.KindInvalid)
					}
					return identity.CreatedAPIKey{
						APIKey: domain.APIKey{ID: "k2", Name: in.Name, Prefix: keyText[:12], Environment: in.Environment, ExpiresAt: in.ExpiresAt},
						Key:    keyText,
					}, nil
				}
			},
			status: http.StatusCreated,
			body: `{"id":"k2","name":"prod","key":"` + keyText + `","prefix":"` + keyText[:12] + `",
				"environment":"prod","expires_at":"2026-01-01T00:00:00Z"}`,
		},
		{
			name: "create a key for every environment",
			req:  post("/api/v1/api-keys", `{"name":"ci","environment":null,"expires_at":null}`),
			setup: func(a *testAPI) {
				a.identity.createAPIKey = func(_ domain.Actor, in identity.APIKeyInput) (identity.CreatedAPIKey, error) {
					if in != (identity.APIKeyInput{Name: "ci"}) {
						return identity.CreatedAPIKey{}, fail(domain.KindInvalid)
					}
					return identity.CreatedAPIKey{APIKey: domain.APIKey{ID: "k3", Name: "ci", Prefix: keyText[:12]}, Key: keyText}, nil
				}
			},
			status: http.StatusCreated,
			body:   `{"id":"k3","name":"ci","key":"` + keyText + `","prefix":"` + keyText[:12] + `","environment":null,"expires_at":null}`,
		},
		{
			name:   "create a key with a bad expiry",
			req:    post("/api/v1/api-keys", `{"name":"ci","expires_at":"tomorrow"}`),
			status: http.StatusBadRequest, code: "VALIDATION_ERROR",
		},
		{
			name: "revoke a key",
			req:  del("/api/v1/api-keys/" + string(apiKeyID)),
			setup: func(a *testAPI) {
				a.identity.revokeAPIKey = func(_ domain.Actor, id domain.APIKeyID) error {
					if id != apiKeyID {
						return fail(domain.KindAPIKeyNotFound)
					}
					return nil
				}
			},
			status: http.StatusNoContent,
		},
		{
			name: "revoke a missing key",
			req:  del("/api/v1/api-keys/nope"),
			setup: func(a *testAPI) {
				a.identity.revokeAPIKey = func(domain.Actor, domain.APIKeyID) error { return fail(domain.KindAPIKeyNotFound) }
			},
			status: http.StatusNotFound, code: "API_KEY_NOT_FOUND",
		},
	})
}

func TestAuditRoutes(t *testing.T) {
	hash := strings.Repeat("a", 64)
	entry := domain.AuditEntry{
		Seq: 7, Action: domain.ActionAssetCreated, Actor: "user:u", Target: "asset:billing",
		CreatedAt: testNow, PreviousHash: domain.GenesisHash, Hash: hash,
	}
	runCases(t, []routeCase{
		{
			name: "a page of the chain",
			req:  get("/api/v1/audit?after_seq=6&limit=1"),
			setup: func(a *testAPI) {
				a.audit.list = func(_ domain.Actor, after int64, limit int) ([]domain.AuditEntry, string, error) {
					if after != 6 || limit != 1 {
						return nil, "", fail(domain.KindInvalid)
					}
					withDetails := entry
					withDetails.Details = json.RawMessage(`{"slug":"billing"}`)
					return []domain.AuditEntry{withDetails}, "7", nil
				}
			},
			status: http.StatusOK,
			body: `{"entries":[{"seq":7,"action":"asset.created","actor":"user:u","target":"asset:billing",
				"details":{"slug":"billing"},"created_at":"2025-01-02T03:04:05.000000Z","previous_hash":"` + domain.GenesisHash + `",
				"hash":"` + hash + `"}],"next_cursor":"7"}`,
		},
		{
			name: "the end of the chain, entries without details",
			req:  get("/api/v1/audit"),
			setup: func(a *testAPI) {
				a.audit.list = func(_ domain.Actor, after int64, limit int) ([]domain.AuditEntry, string, error) {
					if after != 0 || limit != domain.DefaultPageSize {
						return nil, "", fail(domain.KindInvalid)
					}
					return []domain.AuditEntry{entry}, "", nil
				}
			},
			status: http.StatusOK,
			body: `{"entries":[{"seq":7,"action":"asset.created","actor":"user:u","target":"asset:billing",
				"details":{},"created_at":"2025-01-02T03:04:05.000000Z","previous_hash":"` + domain.GenesisHash + `",
				"hash":"` + hash + `"}],"next_cursor":null}`,
		},
		{
			name: "an empty chain lists []",
			req:  get("/api/v1/audit"),
			setup: func(a *testAPI) {
				a.audit.list = func(domain.Actor, int64, int) ([]domain.AuditEntry, string, error) { return nil, "", nil }
			},
			status: http.StatusOK, body: `{"entries":[],"next_cursor":null}`,
		},
		{name: "a negative after_seq", req: get("/api/v1/audit?after_seq=-1"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{name: "a bad limit", req: get("/api/v1/audit?limit=500"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{
			name: "the audit below admin",
			req:  get("/api/v1/audit"),
			setup: func(a *testAPI) {
				a.audit.list = func(domain.Actor, int64, int) ([]domain.AuditEntry, string, error) {
					return nil, "", fail(domain.KindPermissionDenied)
				}
			},
			status: http.StatusForbidden, code: "PERMISSION_DENIED",
		},
		{
			name: "an intact chain",
			req:  get("/api/v1/audit/verify"),
			setup: func(a *testAPI) {
				a.audit.verify = func(domain.Actor) (audit.Verification, error) {
					return audit.Verification{Valid: true, Entries: 7, HeadHash: hash}, nil
				}
			},
			status: http.StatusOK, body: `{"valid":true,"entries":7,"head_hash":"` + hash + `"}`,
		},
		{
			name: "an empty chain is intact at the genesis hash",
			req:  get("/api/v1/audit/verify"),
			setup: func(a *testAPI) {
				a.audit.verify = func(domain.Actor) (audit.Verification, error) { return audit.Verification{Valid: true}, nil }
			},
			status: http.StatusOK, body: `{"valid":true,"entries":0,"head_hash":"` + domain.GenesisHash + `"}`,
		},
		{
			name: "a broken chain",
			req:  get("/api/v1/audit/verify"),
			setup: func(a *testAPI) {
				a.audit.verify = func(domain.Actor) (audit.Verification, error) {
					return audit.Verification{Valid: false, Entries: 7, FirstInvalidSeq: 4, Reason: "hash mismatch"}, nil
				}
			},
			status: http.StatusOK, body: `{"valid":false,"entries":7,"first_invalid_seq":4,"reason":"hash mismatch"}`,
		},
		{
			name: "the latest checkpoint",
			req:  get("/api/v1/audit/checkpoint"),
			setup: func(a *testAPI) {
				a.audit.checkpoint = func(domain.Actor) (audit.Checkpoint, error) {
					return audit.Checkpoint{Size: 2, RootHash: bytes.Repeat([]byte{0xab}, 32), Note: "note\n"}, nil
				}
			},
			status: http.StatusOK, body: `{"size":2,"root_hash":"` + strings.Repeat("ab", 32) + `","checkpoint":"note\n","verifier_key":"configmat.audit+00000000+AQ"}`,
		},
		{
			name: "an inclusion proof",
			req:  get("/api/v1/audit/proof/inclusion?seq=2&size=3"),
			setup: func(a *testAPI) {
				a.audit.inclusion = func(_ domain.Actor, seq, size int64) (audit.InclusionProof, error) {
					return audit.InclusionProof{Seq: seq, Size: size, LeafHash: bytes.Repeat([]byte{1}, 32), Proof: [][]byte{bytes.Repeat([]byte{2}, 32)}}, nil
				}
			},
			status: http.StatusOK, body: `{"seq":2,"size":3,"leaf_hash":"` + strings.Repeat("01", 32) + `","proof":["` + strings.Repeat("02", 32) + `"]}`,
		},
		{
			name: "a consistency proof",
			req:  get("/api/v1/audit/proof/consistency?from=4&to=4"),
			setup: func(a *testAPI) {
				a.audit.consistency = func(_ domain.Actor, from, to int64) (audit.ConsistencyProof, error) {
					return audit.ConsistencyProof{From: from, To: to, Proof: [][]byte{}}, nil
				}
			},
			status: http.StatusOK, body: `{"from":4,"to":4,"proof":[]}`,
		},
		{
			name: "reads, filtered",
			req:  get("/api/v1/audit/reads?asset=web&environment=prod&since=2026-12-01T10:00:00Z"),
			setup: func(a *testAPI) {
				a.audit.reads = func(_ domain.Actor, f domain.ReadFilter) ([]domain.ReadCount, error) {
					if f.Asset != "web" || f.Environment != "prod" || !f.Since.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) {
						return nil, fmt.Errorf("filter %+v", f)
					}
					return []domain.ReadCount{{Actor: "api_key:k1", Asset: "web", Environment: "prod", Hour: time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC), WithSecrets: true, Count: 3}}, nil
				}
			},
			status: http.StatusOK, body: `{"reads":[{"actor":"api_key:k1","asset":"web","environment":"prod","hour":"2026-12-01T11:00:00Z","count":3,"with_secrets":true}]}`,
		},
		{name: "reads since no time", req: get("/api/v1/audit/reads?since=yesterday"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{name: "an inclusion proof without seq", req: get("/api/v1/audit/proof/inclusion?size=3"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{name: "a consistency proof from 0", req: get("/api/v1/audit/proof/consistency?from=0&to=3"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
		{name: "a consistency proof to no number", req: get("/api/v1/audit/proof/consistency?from=1&to=x"), status: http.StatusBadRequest, code: "VALIDATION_ERROR"},
	})
}
