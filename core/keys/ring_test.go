package keys

import (
	"crypto/rand"
	"errors"
	"testing"
)

func TestKeyringUnwrapsByID(t *testing.T) {
	oldKEK, newKEK := mustKEK(t, testKeyHex), mustKEK(t, otherKeyHex)
	byOld, err := NewManager(Deps{KEK: oldKEK, Random: rand.Reader}).NewTenantKey(tenantA)
	if err != nil {
		t.Fatal(err)
	}
	rotating := NewManager(Deps{KEK: newKEK, Previous: []*KEK{oldKEK}, Random: rand.Reader})
	if err := rotating.CheckWrapped(tenantA, byOld); err != nil {
		t.Fatalf("a data key of a previous key does not unwrap: %v", err)
	}
	if !rotating.Knows(oldKEK.ID()) || !rotating.Knows(newKEK.ID()) || rotating.Knows("kek-00000000") {
		t.Fatal("Knows does not answer by the ring's IDs")
	}
	if rotating.CurrentKeyID() != newKEK.ID() {
		t.Fatalf("CurrentKeyID = %s, want %s", rotating.CurrentKeyID(), newKEK.ID())
	}
	fresh, err := rotating.NewTenantKey(tenantB)
	if err != nil || fresh.KeyID != newKEK.ID() {
		t.Fatalf("a new data key is wrapped by %s (%v), want the current key %s", fresh.KeyID, err, newKEK.ID())
	}
	err = NewManager(Deps{KEK: newKEK, Random: rand.Reader}).CheckWrapped(tenantA, byOld)
	var unknown *UnknownKEKError
	if !errors.As(err, &unknown) || unknown.KeyID != oldKEK.ID() {
		t.Fatalf("without the previous key: %v, want an UnknownKEKError naming %s", err, oldKEK.ID())
	}
}
