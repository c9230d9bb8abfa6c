package config

import (
	"fmt"
	"math"
	"strconv"
)

// MaxPrice is the highest rate a price may have, in USD per million
// tokens. The dearest models cost a few hundred dollars per million
// tokens; a rate above this is a typo (or 1e308, which would make a cost
// infinite and a reply impossible to save).
const MaxPrice = 10_000

// Validate is the one rule for a model's price, wherever one is set
// (config.toml's [prices] tables, the price table shipped in the binary):
// each rate is a finite number of USD per million tokens from 0 to
// MaxPrice. The error names the model and the field.
func (p Price) Validate(model string) error {
	for _, r := range []struct {
		field string
		rate  float64
	}{{"input", p.Input}, {"cached_input", p.CachedInput}, {"output", p.Output}} {
		var problem string
		switch {
		case math.IsNaN(r.rate):
			problem = "is not a number"
		case math.IsInf(r.rate, 0):
			problem = "is infinite"
		case r.rate < 0:
			problem = formatRate(r.rate) + " is negative"
		case r.rate > MaxPrice:
			problem = fmt.Sprintf("%s is over the maximum of %d USD per million tokens", formatRate(r.rate), MaxPrice)
		default:
			continue
		}
		return fmt.Errorf("price of model %q: %s %s; a price is 0 to %d USD per million tokens", model, r.field, problem, MaxPrice)
	}
	return nil
}

func formatRate(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
