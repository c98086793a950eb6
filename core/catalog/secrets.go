package catalog

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

// place is one asset's environment in one tenant: where sealed secrets are
// bound by their additional data.
type place struct {
	tenant domain.TenantID
	asset  domain.AssetID
	env    string
}

// aad binds a secret to its object and key in p.
func (p place) aad(object, key string) keys.SecretAAD {
	return keys.SecretAAD{TenantID: p.tenant, AssetID: p.asset, Environment: p.env, Object: object, Key: key}
}

// seal encrypts a secret's JSON for its place.
func (s *Service) seal(ctx context.Context, st ports.TenantTx, p place, object, key string, plaintext []byte) (domain.StoredValue, error) {
	sealed, err := s.deps.Keys.Seal(ctx, st.Tenants(), p.aad(object, key), plaintext)
	if err != nil {
		return domain.StoredValue{}, err
	}
	return domain.StoredValue{Secret: true, Sealed: sealed}, nil
}

// open decrypts a secret's JSON sealed for its place.
func (s *Service) open(ctx context.Context, st ports.TenantTx, p place, object, key string, v domain.StoredValue) ([]byte, error) {
	return s.deps.Keys.Open(ctx, st.Tenants(), p.aad(object, key), v.Sealed)
}

// opener opens the secrets of one place at most once each and wipes the
// plaintexts it handed out when the caller is done.
type opener struct {
	s      *Service
	st     ports.TenantTx
	place  place
	opened map[string][]byte
}

// newOpener returns an opener for the secrets of p.
func (s *Service) newOpener(st ports.TenantTx, p place) *opener {
	return &opener{s: s, st: st, place: p, opened: map[string][]byte{}}
}

// plaintext returns the secret's JSON; the bytes stay valid until wipe.
func (o *opener) plaintext(ctx context.Context, object, key string, v domain.StoredValue) ([]byte, error) {
	path := object + "." + key
	if pt, ok := o.opened[path]; ok {
		return pt, nil
	}
	pt, err := o.s.open(ctx, o.st, o.place, object, key, v)
	if err != nil {
		return nil, err
	}
	o.opened[path] = pt
	return pt, nil
}

// wipe overwrites every plaintext handed out.
func (o *opener) wipe() {
	for path, pt := range o.opened {
		clear(pt)
		delete(o.opened, path)
	}
}
