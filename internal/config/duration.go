package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a minimumReleaseAge: a Go duration ("72h", "90m", "1h30m") that may
// also count days ("3d", "1d12h", "1.5d"), since release ages are usually spoken of in
// days. A day is 24 hours; "0" is no minimum. Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	text := strings.TrimSpace(s)
	if text == "" {
		return 0, fmt.Errorf("empty duration: write e.g. 72h or 3d")
	}
	if strings.HasPrefix(text, "-") {
		return 0, fmt.Errorf("duration %q is negative: a release age is 0 or more", s)
	}
	var total time.Duration
	rest := text
	for rest != "" {
		// Split off one number and its unit; a number with "d" is days, anything else is
		// left to time.ParseDuration, which knows the other units.
		i := 0
		for i < len(rest) && (rest[i] == '.' || rest[i] >= '0' && rest[i] <= '9') {
			i++
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') && rest[j] != '.' {
			j++
		}
		number, unit := rest[:i], rest[i:j]
		rest = rest[j:]
		if number == "" {
			return 0, fmt.Errorf("duration %q: expected a number before %q, as in 72h or 3d", s, unit)
		}
		var part time.Duration
		switch unit {
		case "d":
			days, err := strconv.ParseFloat(number, 64)
			if err != nil {
				return 0, fmt.Errorf("duration %q: %q is not a number of days", s, number)
			}
			if days > float64(1<<63-1)/float64(24*time.Hour) {
				return 0, fmt.Errorf("duration %q is too long", s)
			}
			part = time.Duration(days * float64(24*time.Hour))
		case "":
			if number == "0" && text == "0" {
				return 0, nil
			}
			return 0, fmt.Errorf("duration %q: %s has no unit: write e.g. %sh, %sm or %sd", s, number, number, number, number)
		default:
			d, err := time.ParseDuration(number + unit)
			if err != nil {
				return 0, fmt.Errorf("duration %q: unknown unit %q: use d, h, m, s, ms, us or ns", s, unit)
			}
			part = d
		}
		if total+part < total {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total += part
	}
	return total, nil
}

// FormatDuration writes d the way ParseDuration reads it, with whole days as days
// (72h is "3d", 36h is "1d12h").
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	const day = 24 * time.Hour
	days := ""
	if d >= day {
		days = strconv.FormatInt(int64(d/day), 10) + "d"
		if d %= day; d == 0 {
			return days
		}
	}
	s := d.String() // "12h0m0s"
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return days + s
}
