package textmatch

import "testing"

func TestNearest(t *testing.T) {
	known := []string{"model", "key", "temperature", "description"}
	for _, c := range []struct{ in, want string }{
		{"modle", "model"}, {"temprature", "temperature"}, {"kye", "key"}, {"colour", ""}, {"model", "model"},
	} {
		if got := Nearest(c.in, known); got != c.want {
			t.Errorf("Nearest(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}
