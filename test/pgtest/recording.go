package pgtest

import (
	"bytes"
	"database/sql"
	"errors"
	"sync"
	"testing"
)

// RecordingDriverName is a database/sql driver that wraps lib/pq and
// records the statements (Exec and Query calls, prepared or not) sent on
// connections opened with a DSN from NewRecorder, with their arguments, so
// that a test can look at what the store sends (EXPLAIN them, say).
const RecordingDriverName = "configmat-recording-postgres"

func init() { sql.Register(RecordingDriverName, hookedDriver{}) }

// Statement is a statement as a recorded connection sent it: its text, with
// the driver's placeholders ($1, ...), and its arguments in order.
type Statement struct {
	Query string
	Args  []any
}

// ErrCommitRefused is what a COMMIT refused by RefuseNextCommit answers.
var ErrCommitRefused = errors.New("pgtest: the recorder refused the COMMIT")

// Recorder records the statements of the connections opened with its DSN.
type Recorder struct {
	mu         sync.Mutex
	statements []Statement
	opened     string
	refuse     bool
}

// RefuseNextCommit makes the next COMMIT of the recorded connections roll
// its transaction back and answer ErrCommitRefused: the statements recorded
// meanwhile changed nothing, and can be replayed from the same state.
func (r *Recorder) RefuseNextCommit() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse = true
}

// Take returns the statements recorded since the last Take, in the order
// they were sent, and forgets them.
func (r *Recorder) Take() []Statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.statements
	r.statements = nil
	return out
}

// OpenedDSN returns the DSN the recorded connections were opened with, the
// options their opener added included ("" before the first statement):
// a connection opened with it under lib/pq's own driver name sends
// arguments as they did.
func (r *Recorder) OpenedDSN() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.opened
}

// step records statements, copying arguments the driver may reuse, and
// refuses the COMMIT that RefuseNextCommit asked for, once.
func (r *Recorder) step(s step) (func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch s.kind {
	case stepCommit:
		if r.refuse {
			r.refuse = false
			return nil, ErrCommitRefused
		}
	case stepStatement:
		args := make([]any, len(s.args))
		for i, a := range s.args {
			args[i] = a.Value
			if b, ok := a.Value.([]byte); ok {
				args[i] = bytes.Clone(b)
			}
		}
		r.statements = append(r.statements, Statement{Query: s.query, Args: args})
		r.opened = s.dsn
	}
	return func() {}, nil
}

// NewRecorder returns a recorder and the DSN (rawURL with a unique
// application_name) whose statements it records when opened with
// RecordingDriverName.
func NewRecorder(t testing.TB, rawURL string) (*Recorder, string) {
	t.Helper()
	r := &Recorder{}
	return r, hookedDSN(t, rawURL, "configmat-recorded", r)
}
