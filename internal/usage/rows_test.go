package usage

import (
	"sort"
	"testing"
)

func TestCellsKeyModelDay(t *testing.T) {
	h := newHome(t)
	v := h.Open(t)
	l := Open(v.Files())
	for _, e := range []Entry{
		{KeyID: "k1", Model: "a", Time: at("2026-05-01T10:00:00Z"), Usage: tokens(10, 1)},
		{KeyID: "k1", Model: "a", Time: at("2026-05-01T11:00:00Z"), Usage: tokens(20, 2)},
		{KeyID: "k1", Model: "b", Time: at("2026-05-01T11:00:00Z"), Usage: tokens(5, 5)},
		{KeyID: "k2", Model: "a", Time: at("2026-05-02T11:00:00Z"), Usage: tokens(7, 7)},
		{KeyID: "k2", Model: "a", Time: at("2026-06-02T11:00:00Z"), Usage: tokens(9, 9)}, // outside
	} {
		if err := l.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	cells := l.Cells(at("2026-05-01T00:00:00Z"), at("2026-06-01T00:00:00Z"))
	sort.Slice(cells, func(i, j int) bool {
		return cells[i].KeyID+cells[i].Model+cells[i].Day < cells[j].KeyID+cells[j].Model+cells[j].Day
	})
	want := []struct {
		key, model, day string
		requests, total int64
	}{{"k1", "a", "2026-05-01", 2, 33}, {"k1", "b", "2026-05-01", 1, 10}, {"k2", "a", "2026-05-02", 1, 14}}
	if len(cells) != len(want) {
		t.Fatalf("%d cells: %+v", len(cells), cells)
	}
	for i, w := range want {
		c := cells[i]
		if c.KeyID != w.key || c.Model != w.model || c.Day != w.day || c.Requests != w.requests || c.Usage.Total() != w.total {
			t.Errorf("cell %d = %+v, want %+v", i, c, w)
		}
	}
}
