package cli

import (
	"strconv"
	"strings"
	"time"
)

// maxExpiryDays bounds "--expires Nd": ten years, past which a typo is
// likelier than a plan.
const maxExpiryDays = 3650

// parseExpiry reads --expires for keys add, keys edit and keys mint: a
// number of days from now ("30d") or a date ("2026-12-31", UTC), today
// or later; "" means none. A key is valid through the day it expires
// (vault.Key.Expired), so today is accepted and yesterday is not. It
// returns the last instant the key is valid: the end of that day for a
// date, now plus the days for a number of days (what a provider that
// takes an expiry time is sent); the vault keeps the day.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil {
			if n < 1 || n > maxExpiryDays {
				return time.Time{}, usagef("--expires %q is not a number of days from 1d to %dd", s, maxExpiryDays)
			}
			return now.UTC().AddDate(0, 0, n), nil
		}
	}
	day, err := time.Parse(dateLayout, s)
	if err != nil {
		return time.Time{}, usagef("--expires %q is not a number of days (30d) or a date (2026-12-31)", s)
	}
	if day.Before(expiryDay(now)) {
		return time.Time{}, withHint(usagef("--expires %s is in the past", s), "give today's date or a later one, or a number of days such as 30d")
	}
	return day.Add(24*time.Hour - time.Second), nil
}

// expiryDay is the day (midnight UTC) the vault stores for an expiry
// instant.
func expiryDay(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
