package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// testAssetPaging checks GET /assets paging: 50 by default, ?limit= from 1
// to 200, next_cursor until the last page (then null), every asset exactly
// once.
func testAssetPaging(t *testing.T, st *stack) {
	fx := st.newTenant(t)
	const total = 53
	created := map[string]bool{}
	for range total {
		created[fx.newAsset(t)] = true
	}
	walk := func(limit string) []int {
		t.Helper()
		seen := map[string]bool{}
		var sizes []int
		cursor := ""
		for page := 0; ; page++ {
			if page > total {
				t.Fatal("paging does not end")
			}
			q := url.Values{}
			if limit != "" {
				q.Set("limit", limit)
			}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			path := "/api/v1/assets"
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			var l assetList
			fx.owner.get(t, path).want(t, http.StatusOK).decode(t, &l)
			sizes = append(sizes, len(l.Assets))
			for _, a := range l.Assets {
				if seen[a.Slug] || !created[a.Slug] {
					t.Errorf("limit %q: asset %s listed twice or not the tenant's", limit, a.Slug)
				}
				seen[a.Slug] = true
			}
			if l.NextCursor == nil {
				break
			}
			if *l.NextCursor == "" {
				t.Fatal("next_cursor is an empty string; the last page has null")
			}
			cursor = *l.NextCursor
		}
		if len(seen) != total {
			t.Errorf("limit %q: paging listed %d of %d assets", limit, len(seen), total)
		}
		return sizes
	}
	for _, c := range []struct {
		limit string
		sizes []int
	}{
		{"", []int{50, 3}},
		{"1", nil},
		{"20", []int{20, 20, 13}},
		{"53", []int{53}},
		{"200", []int{53}},
	} {
		t.Run(fmt.Sprintf("limit=%s", c.limit), func(t *testing.T) {
			sizes := walk(c.limit)
			if c.sizes != nil {
				wantEqual(t, "page sizes", sizes, c.sizes)
			} else if len(sizes) != total {
				t.Errorf("limit=1 answered %d pages, want %d", len(sizes), total)
			}
		})
	}
}
