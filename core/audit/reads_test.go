package audit

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/mocks"
)

// readsStore records the reads added to it, failing while fail is set.
type readsStore struct {
	memChain
	added []domain.ReadCount
	fail  error
}

func (r *readsStore) AddReads(_ context.Context, counts []domain.ReadCount) error {
	if r.fail != nil {
		return r.fail
	}
	r.added = append(r.added, counts...)
	return nil
}

// total sums the counts added for actor.
func (r *readsStore) total(actor string) int64 {
	var n int64
	for _, c := range r.added {
		if c.Actor == actor {
			n += c.Count
		}
	}
	return n
}

// clockAt is a settable clock.
type clockAt struct{ now time.Time }

func (c *clockAt) Now() time.Time { return c.now }

func readCounterOver(t *testing.T, store *readsStore, clock ports.Clock) *ReadCounter {
	t.Helper()
	ctrl := gomock.NewController(t)
	s := mocks.NewMockTenantTx(ctrl)
	s.EXPECT().Audit().Return(store).AnyTimes()
	tx := mocks.NewMockTransactor(ctrl)
	tx.EXPECT().InTenant(gomock.Any(), tenant1, gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
			return fn(ctx, s)
		}).AnyTimes()
	return NewReadCounter(Deps{Tx: tx, Clock: clock})
}

func TestReadCounterCountsPerActorPlaceAndHour(t *testing.T) {
	store := &readsStore{}
	clock := &clockAt{now: time.Date(2026, 12, 1, 10, 59, 0, 0, time.UTC)}
	c := readCounterOver(t, store, clock)
	key := domain.Actor{TenantID: tenant1, APIKeyID: "k1", Role: domain.RoleViewer}
	user := domain.Actor{TenantID: tenant1, UserID: "u1", Role: domain.RoleAdmin}
	for range 3 {
		c.RecordRead(key, "web", "prod", true)
	}
	c.RecordRead(user, "web", "prod", false)
	clock.now = clock.now.Add(2 * time.Minute) // the next hour
	c.RecordRead(key, "web", "prod", true)

	store.fail = errors.New("database down")
	if err := c.Flush(t.Context()); err == nil {
		t.Fatal("a failed flush reports no error")
	}
	store.fail = nil
	if err := c.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := store.total(key.String()); got != 4 {
		t.Fatalf("the API key's reads after a failed and a good flush = %d, want 4", got)
	}
	if got := store.total(user.String()); got != 1 {
		t.Fatalf("the user's reads = %d, want 1", got)
	}
	hours := map[time.Time]int64{}
	for _, r := range store.added {
		if r.Actor == key.String() {
			hours[r.Hour] += r.Count
		}
	}
	if hours[time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)] != 3 || hours[time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)] != 1 {
		t.Fatalf("the API key's reads by hour = %v", hours)
	}
	if err := c.Flush(t.Context()); err != nil || len(store.added) != 3 {
		t.Fatalf("a flush with nothing counted added %d rows in all, %v", len(store.added), err)
	}
}

// TestReaderIsActorString: two actors are counted as one reader exactly
// when their String is the same, and a reader's String is theirs.
func TestReaderIsActorString(t *testing.T) {
	actors := []domain.Actor{
		{}, {TenantID: tenant1}, {UserID: "u1"}, {UserID: "u1", Role: domain.RoleAdmin}, {UserID: "u2"},
		{APIKeyID: "k1"}, {TenantID: tenant1, APIKeyID: "k1", Role: domain.RoleViewer}, {APIKeyID: "k2"},
		{UserID: "u1", APIKeyID: "k1"}, {UserID: "k1"}, {APIKeyID: "u1"},
	}
	for _, a := range actors {
		if got := readerOf(a).String(); got != a.String() {
			t.Errorf("readerOf(%+v).String() = %q, want %q", a, got, a.String())
		}
		for _, b := range actors {
			if same, want := readerOf(a) == readerOf(b), a.String() == b.String(); same != want {
				t.Errorf("%+v and %+v: same reader %v, same String %v", a, b, same, want)
			}
		}
	}
}

func TestReadCounterRunFlushesAtTheEnd(t *testing.T) {
	store := &readsStore{}
	c := readCounterOver(t, store, nil)
	c.RecordRead(domain.Actor{TenantID: tenant1, UserID: "u1", Role: domain.RoleAdmin}, "web", "prod", false)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- c.Run(ctx, time.Hour, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, nil)
	}()
	cancel()
	if err := <-done; err != nil || store.total("user:u1") != 1 {
		t.Fatalf("Run's last flush: %v, %d reads", err, store.total("user:u1"))
	}
}

func TestReadsRequiresAdmin(t *testing.T) {
	svc := proofService(t, newMemChain(), testSigner(t))
	_, err := svc.Reads(t.Context(), domain.Actor{TenantID: tenant1, UserID: "u1", Role: domain.RoleEditor}, domain.ReadFilter{})
	if domain.KindOf(err) != domain.KindPermissionDenied {
		t.Fatalf("Reads as an editor = %v", err)
	}
}
