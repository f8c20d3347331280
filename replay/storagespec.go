package replay

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// StorageSpec is a buffer's storage as a configuration spells it: the
// encoding of frames and whether they live in memory or on disk.
//
//	float32 | uint8 | bits | float16 | bf16    the encoding (Config.Storage)
//	memory                           frames in memory (Config.Disk = nil)
//	disk:DIR                         frames in files under DIR, 256 MiB cache
//	disk@SIZE:DIR                    ... with a cache of SIZE (1GiB, 512MiB, 64KiB or bytes)
//	ENC+disk:DIR, ENC+memory         both at once, e.g. bits+disk@1GiB:/data/replay
//
// The spelling has no comma, so it fits a key=value,... list.
type StorageSpec struct {
	Storage Storage
	Disk    *Disk
}

// String returns the full spelling, e.g. "bits" or "uint8+disk@256MiB:/data/replay".
func (s StorageSpec) String() string {
	if s.Disk == nil {
		return s.Storage.String()
	}
	d := s.Storage.String() + "+disk"
	if s.Disk.CacheBytes != DefaultCacheBytes {
		d += "@" + formatSize(s.Disk.CacheBytes)
	}
	return d + ":" + s.Disk.Dir
}

// MarshalText returns String().
func (s StorageSpec) MarshalText() ([]byte, error) {
	if int(s.Storage) >= len(storageNames) {
		return nil, fmt.Errorf("replay: unknown storage %d", uint8(s.Storage))
	}
	return []byte(s.String()), nil
}

// UnmarshalText sets the parts of s that b names and keeps the others: "uint8"
// changes the encoding and keeps the placement, "disk:DIR" moves the frames
// to disk and keeps the encoding, so that overriding a preset's "bits" with
// "disk:/data/replay" keeps bits frames on disk. A disk spelling keeps the
// segment size of a Disk s already had, or takes the default.
func (s *StorageSpec) UnmarshalText(b []byte) error {
	text := string(b)
	if text == "" {
		return fmt.Errorf("replay: storage %q: empty (want e.g. bits or disk:DIR)", text)
	}
	enc, place, both := strings.Cut(text, "+")
	if !both {
		if text == "memory" || strings.HasPrefix(text, "disk") {
			enc, place = "", text
		} else {
			enc, place = text, ""
		}
	}
	out := *s
	if enc != "" || both {
		if err := out.Storage.UnmarshalText([]byte(enc)); err != nil && !both {
			return fmt.Errorf("replay: storage %q: want %s, memory, disk:DIR or disk@SIZE:DIR, or ENCODING+PLACE such as bits+disk:DIR", text, storageList)
		} else if err != nil {
			return fmt.Errorf("replay: storage %q: unknown encoding %q (want %s)", text, enc, storageList)
		}
	}
	switch {
	case place == "" && !both:
	case place == "memory":
		out.Disk = nil
	case strings.HasPrefix(place, "disk"):
		spec, dir, ok := strings.Cut(place[len("disk"):], ":")
		if !ok || dir == "" {
			return fmt.Errorf("replay: storage %q: want disk:DIR or disk@SIZE:DIR", text)
		}
		d := DefaultDisk(dir)
		if s.Disk != nil {
			d.SegmentBytes = s.Disk.SegmentBytes
		}
		if spec != "" {
			size, ok := strings.CutPrefix(spec, "@")
			n, err := parseSize(size)
			if !ok || err != nil {
				return fmt.Errorf("replay: storage %q: bad cache size %q (want e.g. disk@1GiB:DIR)", text, spec)
			}
			d.CacheBytes = n
		}
		out.Disk = d
	default:
		return fmt.Errorf("replay: storage %q: want memory, disk:DIR or disk@SIZE:DIR after the +", text)
	}
	*s = out
	return nil
}

var sizeUnits = []struct {
	name string
	n    int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}

// parseSize parses a byte count: digits, optionally followed by KiB, MiB or GiB.
func parseSize(s string) (int64, error) {
	mul := int64(1)
	for _, u := range sizeUnits {
		if v, ok := strings.CutSuffix(s, u.name); ok {
			s, mul = v, u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mul {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mul, nil
}

// formatSize spells n in the largest unit that divides it.
func formatSize(n int64) string {
	for _, u := range sizeUnits {
		if n > 0 && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}
