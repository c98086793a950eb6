package keys

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports/mocks"
)

// fixture is a manager with tenants A and B, each with its own data key.
type fixture struct {
	m       *Manager
	tenants map[domain.TenantID]domain.Tenant
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	m := NewManager(Deps{KEK: mustKEK(t, testKeyHex), Random: rand.Reader})
	f := &fixture{m: m, tenants: map[domain.TenantID]domain.Tenant{}}
	for _, id := range []domain.TenantID{tenantA, tenantB} {
		w, err := m.NewTenantKey(id)
		if err != nil {
			t.Fatalf("NewTenantKey: %v", err)
		}
		f.tenants[id] = domain.Tenant{ID: id, Slug: "t", DataKey: w}
	}
	return f
}

// stores returns a mocked tenant store bound to tenant that expects gets
// reads of the tenant row.
func stores(t *testing.T, tenant domain.Tenant, gets int) *mocks.MockTenantStore {
	t.Helper()
	ctrl := gomock.NewController(t)
	ts := mocks.NewMockTenantStore(ctrl)
	ts.EXPECT().Get(gomock.Any()).Return(tenant, nil).Times(gets)
	return ts
}

func placeA() SecretAAD {
	return SecretAAD{TenantID: tenantA, AssetID: "5f1e2d3c-4b5a-4978-8665-544332211000", Environment: "prod", Object: "database", Key: "password"}
}

func TestSealOpenRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{name: "empty", plaintext: []byte{}},
		{name: "JSON string", plaintext: []byte(`"s3cr3t"`)},
		{name: "unicode", plaintext: []byte(`{"mot de passe":"żółć 🔑"}`)},
		{name: "largest value", plaintext: bytes.Repeat([]byte("x"), domain.MaxValueBytes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			s := stores(t, f.tenants[tenantA], 1)
			sealed, err := f.m.Seal(context.Background(), s, placeA(), tt.plaintext)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if want := headerSize + len(tt.plaintext) + tagSize; len(sealed) != want || sealed[0] != formatVersion {
				t.Fatalf("sealed is %d bytes starting with %d, want %d starting with %d", len(sealed), sealed[0], want, formatVersion)
			}
			if len(tt.plaintext) > 4 && bytes.Contains(sealed, tt.plaintext) {
				t.Fatal("sealed value contains the plaintext")
			}
			got, err := f.m.Open(context.Background(), s, placeA(), sealed)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Fatalf("Open = %q, want %q", got, tt.plaintext)
			}
		})
	}
}

func TestOpenRejectsAnotherPlace(t *testing.T) {
	tests := []struct {
		name  string
		place func(a *SecretAAD)
	}{
		{name: "tenant", place: func(a *SecretAAD) { a.TenantID = tenantB }},
		{name: "asset", place: func(a *SecretAAD) { a.AssetID = "5f1e2d3c-4b5a-4978-8665-544332211001" }},
		{name: "environment", place: func(a *SecretAAD) { a.Environment = "stage" }},
		{name: "object", place: func(a *SecretAAD) { a.Object = "cache" }},
		{name: "key", place: func(a *SecretAAD) { a.Key = "user" }},
		{name: "shifted boundary", place: func(a *SecretAAD) { a.Object, a.Key = "databasep", "assword" }},
	}
	f := newFixture(t)
	aead, err := newAEAD(bytes.Repeat([]byte{7}, keySize))
	if err != nil {
		t.Fatalf("newAEAD: %v", err)
	}
	sealed, err := seal(aead, rand.Reader, []byte(`"s3cr3t"`), placeA().encode())
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name+" under the same data key", func(t *testing.T) {
			moved := placeA()
			tt.place(&moved)
			if _, err := open(aead, sealed, moved.encode()); err == nil {
				t.Fatal("opened a ciphertext bound to another place")
			}
		})
		t.Run(tt.name+" through the manager", func(t *testing.T) {
			a := placeA()
			sa := stores(t, f.tenants[tenantA], 0)
			f.m.Forget(tenantA)
			f.m.Forget(tenantB)
			sealed, err := f.m.Seal(context.Background(), stores(t, f.tenants[tenantA], 1), a, []byte(`"s3cr3t"`))
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			moved := placeA()
			tt.place(&moved)
			s := sa
			if moved.TenantID == tenantB {
				s = stores(t, f.tenants[tenantB], 1)
			}
			got, err := f.m.Open(context.Background(), s, moved, sealed)
			assertOpenFailed(t, got, err)
		})
	}
}

func assertOpenFailed(t *testing.T, got []byte, err error) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindInternal || de.Message != msgOpenFailed {
		t.Fatalf("Open = %q, %v; want the internal error %q", got, err, msgOpenFailed)
	}
	if got != nil {
		t.Fatalf("Open returned %q along with an error", got)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error %q reveals the plaintext", err)
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	f := newFixture(t)
	sealed, err := f.m.Seal(context.Background(), stores(t, f.tenants[tenantA], 1), placeA(), []byte(`"s3cr3t"`))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	flipped := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x80
		return c
	}
	tests := []struct {
		name   string
		sealed []byte
	}{
		{name: "flipped version", sealed: flipped(0)},
		{name: "flipped first nonce byte", sealed: flipped(1)},
		{name: "flipped last nonce byte", sealed: flipped(headerSize - 1)},
		{name: "flipped first body byte", sealed: flipped(headerSize)},
		{name: "flipped last body byte", sealed: flipped(len(sealed) - tagSize - 1)},
		{name: "flipped first tag byte", sealed: flipped(len(sealed) - tagSize)},
		{name: "flipped last tag byte", sealed: flipped(len(sealed) - 1)},
		{name: "nil", sealed: nil},
		{name: "version only", sealed: sealed[:1]},
		{name: "header only", sealed: sealed[:headerSize]},
		{name: "one byte short of a tag", sealed: sealed[:headerSize+tagSize-1]},
		{name: "last byte cut", sealed: sealed[:len(sealed)-1]},
		{name: "byte appended", sealed: append(bytes.Clone(sealed), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.m.Open(context.Background(), stores(t, f.tenants[tenantA], 0), placeA(), tt.sealed)
			assertOpenFailed(t, got, err)
		})
	}
}

func TestOpenRejectsAnotherDataKey(t *testing.T) {
	f := newFixture(t)
	sealed, err := f.m.Seal(context.Background(), stores(t, f.tenants[tenantA], 1), placeA(), []byte(`"s3cr3t"`))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	rekeyed := f.tenants[tenantA]
	if rekeyed.DataKey, err = f.m.NewTenantKey(tenantA); err != nil {
		t.Fatalf("NewTenantKey: %v", err)
	}
	f.m.Forget(tenantA)
	got, err := f.m.Open(context.Background(), stores(t, rekeyed, 1), placeA(), sealed)
	assertOpenFailed(t, got, err)
}

func TestSealNonceFreshness(t *testing.T) {
	f := newFixture(t)
	s := stores(t, f.tenants[tenantA], 1)
	seen := map[string]bool{}
	nonces := map[string]bool{}
	for range 50 {
		sealed, err := f.m.Seal(context.Background(), s, placeA(), []byte(`"same"`))
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if seen[string(sealed)] || nonces[string(sealed[1:headerSize])] {
			t.Fatal("two seals of the same plaintext share a ciphertext or a nonce")
		}
		seen[string(sealed)] = true
		nonces[string(sealed[1:headerSize])] = true
	}
}

func TestDataKeyCache(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// One read for the first Seal; Open and the second Seal use the cache.
	s := stores(t, f.tenants[tenantA], 1)
	sealed, err := f.m.Seal(ctx, s, placeA(), []byte(`"one"`))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if _, err := f.m.Seal(ctx, s, placeA(), []byte(`"two"`)); err != nil {
		t.Fatalf("second Seal: %v", err)
	}
	if _, err := f.m.Open(ctx, s, placeA(), sealed); err != nil {
		t.Fatalf("Open: %v", err)
	}
	// After Forget the tenant row is read again.
	f.m.Forget(tenantA)
	if _, err := f.m.Open(ctx, stores(t, f.tenants[tenantA], 1), placeA(), sealed); err != nil {
		t.Fatalf("Open after Forget: %v", err)
	}
}

func TestSealFailures(t *testing.T) {
	notFound := domain.Errorf(domain.KindTenantNotFound, "no such tenant")
	ctx := context.Background()
	tests := []struct {
		name     string
		setup    func(t *testing.T, f *fixture) (*Manager, *mocks.MockTenantStore)
		aad      SecretAAD
		wantErr  error
		wantText string
	}{
		{
			name: "tenant store error returned unchanged",
			setup: func(t *testing.T, f *fixture) (*Manager, *mocks.MockTenantStore) {
				ctrl := gomock.NewController(t)
				ts := mocks.NewMockTenantStore(ctrl)
				ts.EXPECT().Get(gomock.Any()).Return(domain.Tenant{}, notFound)
				return f.m, ts
			},
			aad: placeA(), wantErr: notFound,
		},
		{
			name: "stores bound to another tenant",
			setup: func(t *testing.T, f *fixture) (*Manager, *mocks.MockTenantStore) {
				return f.m, stores(t, f.tenants[tenantB], 1)
			},
			aad: placeA(), wantText: "bound to another tenant",
		},
		{
			name: "no tenant",
			setup: func(t *testing.T, f *fixture) (*Manager, *mocks.MockTenantStore) {
				return f.m, stores(t, f.tenants[tenantA], 0)
			},
			aad: SecretAAD{Environment: "prod"}, wantText: "bound to a tenant",
		},
		{
			name: "data key wrapped by another KEK",
			setup: func(t *testing.T, f *fixture) (*Manager, *mocks.MockTenantStore) {
				return NewManager(Deps{KEK: mustKEK(t, otherKeyHex), Random: rand.Reader}), stores(t, f.tenants[tenantA], 1)
			},
			aad: placeA(), wantText: "the key-encryption key is key",
		},
		{
			name: "random source fails",
			setup: func(t *testing.T, f *fixture) (*Manager, *mocks.MockTenantStore) {
				m := NewManager(Deps{KEK: mustKEK(t, testKeyHex), Random: errReader{}})
				return m, stores(t, f.tenants[tenantA], 1)
			},
			aad: placeA(), wantText: "could not encrypt a secret value",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, s := tt.setup(t, newFixture(t))
			sealed, err := m.Seal(ctx, s, tt.aad, []byte(`"s3cr3t"`))
			if sealed != nil {
				t.Fatalf("Seal returned %x along with an error", sealed)
			}
			if tt.wantErr != nil {
				if err != tt.wantErr {
					t.Fatalf("error %v, want %v unchanged", err, tt.wantErr)
				}
				return
			}
			if !domain.IsKind(err, domain.KindInternal) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("error %v, want an internal error containing %q", err, tt.wantText)
			}
		})
	}
}

func TestOpenKeyFailure(t *testing.T) {
	f := newFixture(t)
	sealed, err := f.m.Seal(context.Background(), stores(t, f.tenants[tenantA], 1), placeA(), []byte(`"s3cr3t"`))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	other := NewManager(Deps{KEK: mustKEK(t, otherKeyHex), Random: rand.Reader})
	got, err := other.Open(context.Background(), stores(t, f.tenants[tenantA], 1), placeA(), sealed)
	if got != nil || !domain.IsKind(err, domain.KindInternal) || !strings.Contains(err.Error(), "the key-encryption key is key") {
		t.Fatalf("Open = %q, %v; want an error naming the key-encryption key", got, err)
	}
}

func TestManagerConcurrentUse(t *testing.T) {
	f := newFixture(t)
	ctrl := gomock.NewController(t)
	ts := mocks.NewMockTenantStore(ctrl)
	ts.EXPECT().Get(gomock.Any()).Return(f.tenants[tenantA], nil).MinTimes(1)
	s := ts
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			plaintext := []byte{byte(i)}
			for range 20 {
				sealed, err := f.m.Seal(context.Background(), s, placeA(), plaintext)
				if err != nil {
					errs <- err
					return
				}
				got, err := f.m.Open(context.Background(), s, placeA(), sealed)
				if err != nil || !bytes.Equal(got, plaintext) {
					errs <- errors.Join(err, errors.New("round trip mismatch"))
					return
				}
				if i%4 == 0 {
					f.m.Forget(tenantA)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
