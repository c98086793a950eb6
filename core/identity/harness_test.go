package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"reflect"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/mocks"
)

// Fixed identifiers and time of the tests.
const (
	tenantA = domain.TenantID("11111111-1111-4111-8111-111111111111")
	tenantB = domain.TenantID("22222222-2222-4222-8222-222222222222")
	userA   = domain.UserID("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
	userB   = domain.UserID("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")
	keyA    = domain.APIKeyID("cccccccc-cccc-4ccc-8ccc-cccccccccccc")
)

var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// cheapParams keep argon2id fast in tests; the code path is the real one.
var cheapParams = PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLength: 16, KeyLength: 32}

type fixedClock struct{ now time.Time }

func (c fixedClock) Now() time.Time { return c.now }

// failingReader fails every read, as an exhausted entropy source would.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

// auditRecord is one entry appended through fakeAudit.
type auditRecord struct {
	actor   domain.Actor
	action  string
	target  string
	details map[string]any
}

// fakeAudit records appended entries and fails the action failOn with err.
type fakeAudit struct {
	entries []auditRecord
	failOn  string
	err     error
}

func (a *fakeAudit) Append(_ context.Context, _ ports.AuditStore, actor domain.Actor, action, target string, details any) error {
	if action == a.failOn {
		return a.err
	}
	d, _ := details.(map[string]any)
	a.entries = append(a.entries, auditRecord{actor: actor, action: action, target: target, details: d})
	return nil
}

// fakeKeys hands out a recognisable wrapped key per tenant, or err.
type fakeKeys struct {
	err   error
	calls []domain.TenantID
}

func (k *fakeKeys) NewTenantKey(tenant domain.TenantID) (domain.WrappedKey, error) {
	k.calls = append(k.calls, tenant)
	if k.err != nil {
		return domain.WrappedKey{}, k.err
	}
	return wrappedKeyOf(tenant), nil
}

func wrappedKeyOf(tenant domain.TenantID) domain.WrappedKey {
	return domain.WrappedKey{KeyID: "kek-test", Ciphertext: []byte("wrapped:" + tenant)}
}

// harness is a Service over gomock stores. Its transactions run fn against
// the mocks and count a commit only when fn returns nil, as the real
// Transactor does; the Transactor mock fails the test on any call that was
// not expected.
type harness struct {
	tx      *mocks.MockTransactor
	stores  *mocks.MockTenantTx
	users   *mocks.MockUserStore
	tokens  *mocks.MockTokenStore
	dir     *mocks.MockDirectory
	tenants *mocks.MockTenantStore
	envs    *mocks.MockEnvironmentStore
	members *mocks.MockMemberStore
	apiKeys *mocks.MockAPIKeyStore
	changes *mocks.MockChangePublisher
	chain   *mocks.MockAuditStore
	audit   *fakeAudit
	keys    *fakeKeys
	svc     *Service

	commits       int
	tenantCommits int
	rollbacks     int
	derivations   int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctrl := gomock.NewController(t)
	h := &harness{
		tx:      mocks.NewMockTransactor(ctrl),
		stores:  mocks.NewMockTenantTx(ctrl),
		users:   mocks.NewMockUserStore(ctrl),
		tokens:  mocks.NewMockTokenStore(ctrl),
		dir:     mocks.NewMockDirectory(ctrl),
		tenants: mocks.NewMockTenantStore(ctrl),
		envs:    mocks.NewMockEnvironmentStore(ctrl),
		members: mocks.NewMockMemberStore(ctrl),
		apiKeys: mocks.NewMockAPIKeyStore(ctrl),
		changes: mocks.NewMockChangePublisher(ctrl),
		chain:   mocks.NewMockAuditStore(ctrl),
		audit:   &fakeAudit{},
		keys:    &fakeKeys{},
	}
	h.stores.EXPECT().Users().Return(h.users).AnyTimes()
	h.stores.EXPECT().Tokens().Return(h.tokens).AnyTimes()
	h.stores.EXPECT().Directory().Return(h.dir).AnyTimes()
	h.stores.EXPECT().Tenants().Return(h.tenants).AnyTimes()
	h.stores.EXPECT().Environments().Return(h.envs).AnyTimes()
	h.stores.EXPECT().Members().Return(h.members).AnyTimes()
	h.stores.EXPECT().APIKeys().Return(h.apiKeys).AnyTimes()
	h.stores.EXPECT().Changes().Return(h.changes).AnyTimes()
	h.stores.EXPECT().Audit().Return(h.chain).AnyTimes()

	h.svc = New(Deps{Tx: h.tx, Clock: fixedClock{testNow}, Random: rand.Reader, TokenTTL: time.Hour, Password: cheapParams})
	h.svc.keys = h.keys
	h.svc.audit = h.audit
	derive := h.svc.passwords.derive
	h.svc.passwords.derive = func(password, salt []byte, p PasswordParams) []byte {
		h.derivations++
		return derive(password, salt, p)
	}
	return h
}

func (h *harness) finish(err error) error {
	if err == nil {
		h.commits++
	} else {
		h.rollbacks++
	}
	return err
}

// expectTenantTx expects one InTenant transaction bound to tenant (a value
// or a gomock matcher).
func (h *harness) expectTenantTx(tenant any) *gomock.Call {
	return h.tx.EXPECT().InTenant(gomock.Any(), tenant, gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
			err := h.finish(fn(ctx, h.stores))
			if err == nil {
				h.tenantCommits++
			}
			return err
		})
}

// expectGlobalTx expects one Global transaction.
func (h *harness) expectGlobalTx() *gomock.Call {
	return h.tx.EXPECT().Global(gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, fn func(context.Context, ports.GlobalTx) error) error {
			return h.finish(fn(ctx, h.stores))
		})
}

// hashOf returns a stored hash of password under the test parameters.
func (h *harness) hashOf(t *testing.T, password string) string {
	t.Helper()
	hash, err := newPasswordHasher(cheapParams, rand.Reader).hash(password)
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	return hash
}

func newCredential(t *testing.T, prefix string) string {
	t.Helper()
	c, err := domain.NewCredential(prefix, rand.Reader)
	if err != nil {
		t.Fatalf("NewCredential: %v", err)
	}
	return c
}

// wantKind fails unless err has kind (kind "" means no error).
func wantKind(t *testing.T, err error, kind domain.Kind) {
	t.Helper()
	if got := domain.KindOf(err); got != kind {
		t.Fatalf("error kind = %q (%v), want %q", got, err, kind)
	}
}

// wantDetail fails unless err is a *domain.Error with details[key] == value.
func wantDetail(t *testing.T, err error, key string, value any) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v is no *domain.Error", err)
	}
	if !reflect.DeepEqual(de.Details[key], value) {
		t.Fatalf("error %v: detail %q = %v, want %v", err, key, de.Details[key], value)
	}
}

// wantField fails unless err is a VALIDATION_ERROR naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantKind(t, err, domain.KindInvalid)
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v is no *domain.Error", err)
	}
	fields, _ := de.Details["fields"].(map[string]any)
	if _, ok := fields[field]; !ok {
		t.Fatalf("validation error %v does not name field %q", de.Details, field)
	}
}

// wantAudit fails unless exactly the given entries were appended.
func wantAudit(t *testing.T, h *harness, want ...auditRecord) {
	t.Helper()
	if len(want) == 0 {
		want = nil
	}
	if !reflect.DeepEqual(h.audit.entries, want) {
		t.Fatalf("audit entries\n got %+v\nwant %+v", h.audit.entries, want)
	}
}
