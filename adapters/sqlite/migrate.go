package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/configmat/configmat/adapters/sqlstore"
	"github.com/configmat/configmat/core/domain"
)

// legacyValue is a snapshot value as releases before the shared SQL store
// wrote it: the value's JSON inline, sealed bytes in base64.
type legacyValue struct {
	Value  json.RawMessage `json:"value,omitempty"`
	Secret bool            `json:"secret,omitempty"`
	Sealed []byte          `json:"sealed,omitempty"`
}

// legacyToShared rewrites a legacy snapshot text in the shared store's format.
func legacyToShared(text []byte) (string, error) {
	var doc map[string]map[string]legacyValue
	if err := json.Unmarshal(text, &doc); err != nil {
		return "", domain.Wrap(err, "could not decode a legacy snapshot")
	}
	return sqlstore.EncodeSnapshot(mapValues(doc, func(v legacyValue) domain.StoredValue { return domain.StoredValue(v) }))
}

// sharedToLegacy rewrites a snapshot of the shared store's format in the
// legacy one, for a downgrade.
func sharedToLegacy(text []byte) (string, error) {
	s, err := sqlstore.DecodeSnapshot(text)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(mapValues(s, func(v domain.StoredValue) legacyValue { return legacyValue(v) }))
	return string(b), domain.Wrap(err, "could not encode a legacy snapshot")
}

// mapValues converts every value of a snapshot-shaped document.
func mapValues[A, B any](doc map[string]map[string]A, convert func(A) B) map[string]map[string]B {
	out := make(map[string]map[string]B, len(doc))
	for object, keys := range doc {
		out[object] = make(map[string]B, len(keys))
		for key, v := range keys {
			out[object][key] = convert(v)
		}
	}
	return out
}

// convertSnapshots returns a migration that rewrites every stored snapshot
// with convert, in the migration's transaction.
func convertSnapshots(convert func([]byte) (string, error)) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT rowid, snapshot FROM versions`)
		if err != nil {
			return domain.Wrap(err, "could not read the snapshots")
		}
		converted := map[int64]string{}
		for rows.Next() {
			var id int64
			var text []byte
			if err := rows.Scan(&id, &text); err != nil {
				_ = rows.Close()
				return domain.Wrap(err, "could not read a snapshot")
			}
			if converted[id], err = convert(text); err != nil {
				_ = rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return domain.Wrap(err, "could not read the snapshots")
		}
		for id, text := range converted {
			if _, err := tx.ExecContext(ctx, `UPDATE versions SET snapshot = ? WHERE rowid = ?`, text, id); err != nil {
				return domain.Wrap(err, "could not rewrite a snapshot")
			}
		}
		return nil
	}
}
