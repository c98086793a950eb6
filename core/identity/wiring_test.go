package identity

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
)

// Register through the real key manager and audit log given in Deps: the
// tenant's data key unwraps under the KEK, and the two audit entries form a
// chain in the registration's transaction.
func TestRegisterWithTheRealKeyManagerAndAuditLog(t *testing.T) {
	kekHex, err := keys.GenerateKeyHex(rand.Reader)
	if err != nil {
		t.Fatalf("GenerateKeyHex: %v", err)
	}
	kek, err := keys.ParseKEK(kekHex)
	if err != nil {
		t.Fatalf("ParseKEK: %v", err)
	}
	manager := keys.NewManager(keys.Deps{KEK: kek, Random: rand.Reader})
	h := newHarness(t)
	h.svc = New(Deps{
		Tx: h.tx, Clock: fixedClock{testNow}, Random: rand.Reader, Password: cheapParams,
		Keys: manager, Audit: audit.NewLog(audit.Deps{Clock: fixedClock{testNow}}),
	})

	h.expectTenantTx(gomock.Any())
	h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme-corp").Return(tenantFree())
	h.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
	var tenant domain.Tenant
	h.tenants.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tn domain.Tenant) error { tenant = tn; return nil })
	h.envs.EXPECT().Create(gomock.Any(), gomock.Any()).Times(3).Return(nil)
	h.members.EXPECT().Add(gomock.Any(), gomock.Any()).Return(nil)
	h.tokens.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
	var chain []domain.AuditEntry
	h.chain.EXPECT().LockHead(gomock.Any()).Times(2).DoAndReturn(func(context.Context) (int64, string, error) {
		if len(chain) == 0 {
			return 0, domain.GenesisHash, nil
		}
		last := chain[len(chain)-1]
		return last.Seq, last.Hash, nil
	})
	h.chain.EXPECT().Append(gomock.Any(), gomock.Any()).Times(2).DoAndReturn(func(_ context.Context, e domain.AuditEntry) error {
		chain = append(chain, e)
		return nil
	})

	reg, err := h.svc.Register(context.Background(), registration)
	wantKind(t, err, "")
	if err := manager.CheckWrapped(reg.Tenant.ID, tenant.DataKey); err != nil {
		t.Fatalf("the stored data key does not unwrap: %v", err)
	}
	if h.commits != 1 || len(chain) != 2 {
		t.Fatalf("commits %d, audit entries %d; want 1 and 2", h.commits, len(chain))
	}
	wantActions := []string{domain.ActionTenantCreated, domain.ActionMemberAdded}
	for i, e := range chain {
		if e.Action != wantActions[i] || e.TenantID != reg.Tenant.ID || e.Actor != "user:"+string(reg.User.ID) || e.Seq != int64(i+1) {
			t.Fatalf("entry %d = %+v", i, e)
		}
		var details map[string]any
		if err := json.Unmarshal(e.Details, &details); err != nil || len(details) == 0 {
			t.Fatalf("entry %d details %s: %v", i, e.Details, err)
		}
	}
	if chain[1].PreviousHash != chain[0].Hash {
		t.Fatal("the second entry does not chain to the first")
	}
}
