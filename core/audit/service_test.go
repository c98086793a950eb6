package audit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/mocks"
)

const tenant1 domain.TenantID = "6a0c3a34-51f4-4a4e-9a56-0f1f2e3d4c5b"

// serviceOver returns a service whose transactor runs every function over
// mocked stores bound to tenant1, and the mock audit store behind them.
func serviceOver(t *testing.T) (*Service, *mocks.MockAuditStore) {
	t.Helper()
	ctrl := gomock.NewController(t)
	a := mocks.NewMockAuditStore(ctrl)
	a.EXPECT().Checkpoint(gomock.Any()).Return(domain.AuditCheckpoint{}, nil).AnyTimes()
	s := mocks.NewMockTenantTx(ctrl)
	s.EXPECT().Audit().Return(a).AnyTimes()
	tx := mocks.NewMockTransactor(ctrl)
	tx.EXPECT().InTenant(gomock.Any(), tenant1, gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
			return fn(ctx, s)
		}).AnyTimes()
	return NewService(Deps{Tx: tx}), a
}

// serveChain makes a answer List from entries, as a store ordered by seq does.
func serveChain(a *mocks.MockAuditStore, entries []domain.AuditEntry) *gomock.Call {
	return a.EXPECT().List(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, after int64, limit int) ([]domain.AuditEntry, error) {
			var page []domain.AuditEntry
			for _, e := range entries {
				if e.Seq > after && len(page) < limit {
					page = append(page, e)
				}
			}
			return page, nil
		})
}

func admin() domain.Actor {
	return domain.Actor{TenantID: tenant1, UserID: "u1", Role: domain.RoleAdmin}
}

func TestServiceRequiresAdmin(t *testing.T) {
	tests := []struct {
		name  string
		actor domain.Actor
		kind  domain.Kind
	}{
		{name: "viewer", actor: domain.Actor{TenantID: tenant1, UserID: "u1", Role: domain.RoleViewer}, kind: domain.KindPermissionDenied},
		{name: "editor", actor: domain.Actor{TenantID: tenant1, UserID: "u1", Role: domain.RoleEditor}, kind: domain.KindPermissionDenied},
		{name: "no role", actor: domain.Actor{TenantID: tenant1, UserID: "u1"}, kind: domain.KindPermissionDenied},
		{name: "API key", actor: domain.Actor{TenantID: tenant1, APIKeyID: "k1"}, kind: domain.KindPermissionDenied},
		{name: "API key claiming owner", actor: domain.Actor{TenantID: tenant1, APIKeyID: "k1", Role: domain.RoleOwner}, kind: domain.KindPermissionDenied},
		{name: "user without tenant", actor: domain.Actor{UserID: "u1", Role: domain.RoleOwner}, kind: domain.KindTenantNotFound},
		{name: "nobody", actor: domain.Actor{}, kind: domain.KindUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A transactor without expectations fails the test if it is called.
			svc := NewService(Deps{Tx: mocks.NewMockTransactor(gomock.NewController(t))})
			if _, _, err := svc.List(context.Background(), tt.actor, 0, 10); !domain.IsKind(err, tt.kind) {
				t.Errorf("List error %v, want %s", err, tt.kind)
			}
			if _, err := svc.Verify(context.Background(), tt.actor); !domain.IsKind(err, tt.kind) {
				t.Errorf("Verify error %v, want %s", err, tt.kind)
			}
		})
	}
}

func TestListValidation(t *testing.T) {
	tests := []struct {
		name      string
		afterSeq  int64
		limit     int
		wantLimit int    // limit passed to the store when valid
		badField  string // field named by the validation error
	}{
		{name: "default limit", limit: 0, wantLimit: 50},
		{name: "smallest limit", limit: 1, wantLimit: 1},
		{name: "largest limit", afterSeq: 9, limit: 200, wantLimit: 200},
		{name: "limit too large", limit: 201, badField: "limit"},
		{name: "negative limit", limit: -1, badField: "limit"},
		{name: "negative after_seq", afterSeq: -1, limit: 10, badField: "after_seq"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, a := serviceOver(t)
			if tt.badField == "" {
				a.EXPECT().List(gomock.Any(), tt.afterSeq, tt.wantLimit).Return(nil, nil)
			}
			entries, next, err := svc.List(context.Background(), admin(), tt.afterSeq, tt.limit)
			if tt.badField == "" {
				if err != nil || entries == nil || len(entries) != 0 || next != "" {
					t.Fatalf("List = %v, %q, %v; want an empty non-nil page", entries, next, err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindInvalid {
				t.Fatalf("error %v, want VALIDATION_ERROR", err)
			}
			if fields, _ := de.Details["fields"].(map[string]any); fields[tt.badField] == nil {
				t.Fatalf("details %v do not name %s", de.Details, tt.badField)
			}
		})
	}
}

func TestListPages(t *testing.T) {
	entries := chain(t, tenant1, 7)
	storeErr := domain.Errorf(domain.KindUnavailable, "down")
	tests := []struct {
		name     string
		actor    domain.Actor
		afterSeq int64
		limit    int
		wantSeqs []int64
		wantNext string
		storeErr error
	}{
		{name: "full page has a cursor", actor: admin(), limit: 3, wantSeqs: []int64{1, 2, 3}, wantNext: "3"},
		{name: "middle page", actor: admin(), afterSeq: 3, limit: 3, wantSeqs: []int64{4, 5, 6}, wantNext: "6"},
		{name: "short last page", actor: admin(), afterSeq: 6, limit: 3, wantSeqs: []int64{7}},
		{name: "past the end", actor: admin(), afterSeq: 7, limit: 3, wantSeqs: []int64{}},
		{name: "owner", actor: domain.Actor{TenantID: tenant1, UserID: "u2", Role: domain.RoleOwner}, limit: 10, wantSeqs: []int64{1, 2, 3, 4, 5, 6, 7}},
		{name: "system", actor: domain.SystemActor(tenant1), afterSeq: 5, limit: 2, wantSeqs: []int64{6, 7}, wantNext: "7"},
		{name: "store error returned unchanged", actor: admin(), limit: 3, storeErr: storeErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, a := serviceOver(t)
			if tt.storeErr != nil {
				a.EXPECT().List(gomock.Any(), tt.afterSeq, tt.limit).Return(nil, tt.storeErr)
			} else {
				serveChain(a, entries).Times(1)
			}
			got, next, err := svc.List(context.Background(), tt.actor, tt.afterSeq, tt.limit)
			if tt.storeErr != nil {
				if err != tt.storeErr || got != nil || next != "" {
					t.Fatalf("List = %v, %q, %v; want the store error unchanged", got, next, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			seqs := []int64{}
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if next != tt.wantNext || len(seqs) != len(tt.wantSeqs) {
				t.Fatalf("List = seqs %v next %q, want %v next %q", seqs, next, tt.wantSeqs, tt.wantNext)
			}
			for i := range seqs {
				if seqs[i] != tt.wantSeqs[i] {
					t.Fatalf("List = seqs %v, want %v", seqs, tt.wantSeqs)
				}
			}
		})
	}
}

func TestVerify(t *testing.T) {
	// stripped removes TenantID, as a store that does not return it would.
	stripped := func(c []domain.AuditEntry) []domain.AuditEntry {
		for i := range c {
			c[i].TenantID = ""
		}
		return c
	}
	broken := func(c []domain.AuditEntry, i int) []domain.AuditEntry {
		c[i].Target = "asset:forged"
		return c
	}
	tests := []struct {
		name      string
		actor     domain.Actor
		entries   []domain.AuditEntry
		wantPages int
		want      func(c []domain.AuditEntry) Verification
		// head, when set, replaces the head the chain's last entry implies.
		head func(c []domain.AuditEntry) (int64, string)
	}{
		{
			name: "empty chain", actor: admin(), wantPages: 1,
			want: func([]domain.AuditEntry) Verification {
				return Verification{Valid: true, HeadHash: domain.GenesisHash}
			},
		},
		{
			name: "three pages", actor: domain.SystemActor(tenant1), entries: chain(t, tenant1, 1001), wantPages: 3,
			want: func(c []domain.AuditEntry) Verification {
				return Verification{Valid: true, Entries: 1001, HeadHash: c[1000].Hash}
			},
		},
		{
			name: "exactly one full page", actor: admin(), entries: chain(t, tenant1, 500), wantPages: 2,
			want: func(c []domain.AuditEntry) Verification {
				return Verification{Valid: true, Entries: 500, HeadHash: c[499].Hash}
			},
		},
		{
			name: "store omits the tenant", actor: admin(), entries: stripped(chain(t, tenant1, 3)), wantPages: 1,
			want: func(c []domain.AuditEntry) Verification {
				return Verification{Valid: true, Entries: 3, HeadHash: c[2].Hash}
			},
		},
		{
			name: "entries of another tenant", actor: admin(), entries: chain(t, "other-tenant", 3), wantPages: 1,
			want: func([]domain.AuditEntry) Verification {
				return Verification{Entries: 1, FirstInvalidSeq: 1, Reason: ReasonHash}
			},
		},
		{
			name: "break on the first page stops the walk", actor: admin(), entries: broken(chain(t, tenant1, 1200), 41), wantPages: 1,
			want: func([]domain.AuditEntry) Verification {
				return Verification{Entries: 42, FirstInvalidSeq: 42, Reason: ReasonHash}
			},
		},
		{
			name: "break on the third page", actor: admin(), entries: broken(chain(t, tenant1, 1200), 1099), wantPages: 3,
			want: func([]domain.AuditEntry) Verification {
				return Verification{Entries: 1100, FirstInvalidSeq: 1100, Reason: ReasonHash}
			},
		},
		{
			name: "newest entry deleted", actor: admin(), entries: chain(t, tenant1, 3), wantPages: 1,
			head: func([]domain.AuditEntry) (int64, string) { return 4, strings.Repeat("ab", 32) },
			want: func([]domain.AuditEntry) Verification {
				return Verification{Entries: 3, FirstInvalidSeq: 4, Reason: ReasonHead}
			},
		},
		{
			name: "entry appended behind the head's back", actor: admin(), entries: chain(t, tenant1, 3), wantPages: 1,
			head: func(c []domain.AuditEntry) (int64, string) { return 2, c[1].Hash },
			want: func([]domain.AuditEntry) Verification {
				return Verification{Entries: 3, FirstInvalidSeq: 3, Reason: ReasonHead}
			},
		},
		{
			name: "last entry is not the head's", actor: admin(), entries: chain(t, tenant1, 3), wantPages: 1,
			head: func([]domain.AuditEntry) (int64, string) { return 3, strings.Repeat("cd", 32) },
			want: func([]domain.AuditEntry) Verification {
				return Verification{Entries: 3, FirstInvalidSeq: 3, Reason: ReasonHead}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, a := serviceOver(t)
			headSeq, headHash := int64(len(tt.entries)), domain.GenesisHash
			if len(tt.entries) > 0 {
				headHash = tt.entries[len(tt.entries)-1].Hash
			}
			if tt.head != nil {
				headSeq, headHash = tt.head(tt.entries)
			}
			a.EXPECT().LockHead(gomock.Any()).Return(headSeq, headHash, nil)
			var afters []int64
			serveChain(a, tt.entries).Do(func(_ context.Context, after int64, limit int) {
				afters = append(afters, after)
				if limit != verifyPageSize {
					t.Errorf("page size %d, want %d", limit, verifyPageSize)
				}
			}).Times(tt.wantPages)
			got, err := svc.Verify(context.Background(), tt.actor)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if want := tt.want(tt.entries); got != want {
				t.Fatalf("Verify = %+v, want %+v", got, want)
			}
			for i, after := range afters {
				if after != int64(i*verifyPageSize) {
					t.Fatalf("pages read after %v, want multiples of %d", afters, verifyPageSize)
				}
			}
		})
	}
}

func TestVerifyHeadError(t *testing.T) {
	svc, a := serviceOver(t)
	storeErr := domain.Errorf(domain.KindUnavailable, "down")
	a.EXPECT().LockHead(gomock.Any()).Return(int64(0), "", storeErr)
	if got, err := svc.Verify(context.Background(), admin()); err != storeErr || got != (Verification{}) {
		t.Fatalf("Verify = %+v, %v; want the store error unchanged", got, err)
	}
}

func TestVerifyStoreError(t *testing.T) {
	svc, a := serviceOver(t)
	storeErr := domain.Errorf(domain.KindUnavailable, "down")
	entries := chain(t, tenant1, 600)
	gomock.InOrder(
		a.EXPECT().LockHead(gomock.Any()).Return(int64(600), entries[599].Hash, nil),
		a.EXPECT().List(gomock.Any(), int64(0), verifyPageSize).Return(entries[:500], nil),
		a.EXPECT().List(gomock.Any(), int64(500), verifyPageSize).Return(nil, storeErr),
	)
	got, err := svc.Verify(context.Background(), admin())
	if err != storeErr || got != (Verification{}) {
		t.Fatalf("Verify = %+v, %v; want the store error unchanged", got, err)
	}
}
