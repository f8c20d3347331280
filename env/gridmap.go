package env

import (
	"fmt"
	"strings"
)

// Cell is the content of one grid square.
type Cell uint8

// The cells of a GridMap, with their map characters.
const (
	Free Cell = iota // '.' (and 'S', the start, which is free)
	Wall             // '#': blocks movement
	Goal             // 'G': ends the episode with the goal reward
	Pit              // 'L': lava; ends the episode with the pit penalty
)

// cellChars maps each Cell to its character in map text.
var cellChars = [...]byte{Free: '.', Wall: '#', Goal: 'G', Pit: 'L'}

// GridMap is a parsed GridWorld layout.
type GridMap struct {
	// Name is the built-in map's name, or the file it came from, for messages.
	Name string
	// Rows and Cols are the grid's height and width.
	Rows, Cols int
	// Cells holds Rows·Cols cells in row-major order: cell (r, c) is Cells[r*Cols+c].
	Cells []Cell
	// Start is the index into Cells of the start square.
	Start int
}

// maxMapSide bounds a map's height and width.
const maxMapSide = 256

// MapError is an error in map text, located by line and column (both from 1).
type MapError struct {
	Name      string // the map's name or file
	Line, Col int    // 0 when the error is about the map as a whole
	Msg       string
}

func (e *MapError) Error() string {
	where := "gridworld map"
	if e.Name != "" {
		where += " " + e.Name
	}
	if e.Line > 0 {
		where += fmt.Sprintf(", line %d", e.Line)
		if e.Col > 0 {
			where += fmt.Sprintf(", column %d", e.Col)
		}
	}
	return where + ": " + e.Msg
}

// ParseGridMap parses map text: one line per row, one character per cell,
//
//	#  wall          S  start (exactly one)
//	.  free          G  goal (at least one)
//	L  lava (pit)
//
// Blank lines before and after the grid and trailing "\r" are ignored; every
// row must have the same width. Moving off the grid's edge is like moving into
// a wall. name labels errors, which give the line and column of the fault.
func ParseGridMap(name, text string) (*GridMap, error) {
	lines := strings.Split(text, "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	first, last := 0, len(lines)
	for first < last && strings.TrimSpace(lines[first]) == "" {
		first++
	}
	for last > first && strings.TrimSpace(lines[last-1]) == "" {
		last--
	}
	if first == last {
		return nil, &MapError{Name: name, Msg: "the map is empty"}
	}
	m := &GridMap{Name: name, Rows: last - first, Cols: len(lines[first]), Start: -1}
	if m.Rows > maxMapSide || m.Cols > maxMapSide {
		return nil, &MapError{Name: name, Msg: fmt.Sprintf("the map is %d×%d; at most %d×%d is allowed", m.Rows, m.Cols, maxMapSide, maxMapSide)}
	}
	m.Cells = make([]Cell, 0, m.Rows*m.Cols)
	goals := 0
	for r, line := range lines[first:last] {
		lineNo := first + r + 1
		if len(line) != m.Cols {
			return nil, &MapError{Name: name, Line: lineNo, Col: min(len(line), m.Cols) + 1,
				Msg: fmt.Sprintf("row is %d characters wide, but the first row is %d (rows must all have the same width)", len(line), m.Cols)}
		}
		for c := 0; c < len(line); c++ {
			var cell Cell
			switch ch := line[c]; ch {
			case '.':
				cell = Free
			case '#':
				cell = Wall
			case 'G':
				cell = Goal
				goals++
			case 'L':
				cell = Pit
			case 'S':
				if m.Start >= 0 {
					sr, sc := m.Start/m.Cols, m.Start%m.Cols
					return nil, &MapError{Name: name, Line: lineNo, Col: c + 1,
						Msg: fmt.Sprintf("a second start S (the first is at line %d, column %d); a map has exactly one", first+sr+1, sc+1)}
				}
				m.Start = r*m.Cols + c
			default:
				return nil, &MapError{Name: name, Line: lineNo, Col: c + 1,
					Msg: fmt.Sprintf("unknown cell %q (want # wall, . free, S start, G goal or L lava)", rune(ch))}
			}
			m.Cells = append(m.Cells, cell)
		}
	}
	if m.Start < 0 {
		return nil, &MapError{Name: name, Msg: "no start S; a map has exactly one"}
	}
	if goals == 0 {
		return nil, &MapError{Name: name, Msg: "no goal G; a map needs at least one"}
	}
	return m, nil
}

// MustParseGridMap is ParseGridMap for maps known to be valid; it panics on error.
func MustParseGridMap(name, text string) *GridMap {
	m, err := ParseGridMap(name, text)
	if err != nil {
		panic("env: " + err.Error())
	}
	return m
}

// String returns the map as text that ParseGridMap reads back.
func (m *GridMap) String() string {
	var b strings.Builder
	b.Grow(m.Rows * (m.Cols + 1))
	for i, c := range m.Cells {
		if i == m.Start {
			b.WriteByte('S')
		} else {
			b.WriteByte(cellChars[c])
		}
		if (i+1)%m.Cols == 0 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// At returns the cell at row r, column c; outside the grid it is a Wall.
func (m *GridMap) At(r, c int) Cell {
	if r < 0 || r >= m.Rows || c < 0 || c >= m.Cols {
		return Wall
	}
	return m.Cells[r*m.Cols+c]
}

// gridMoves are the row and column offsets of the actions up, right, down, left.
var gridMoves = [4][2]int{{-1, 0}, {0, 1}, {1, 0}, {0, -1}}

// Distances returns, for every cell, the least number of moves from the start
// to reach it, or −1 if it cannot be reached. Walls are never entered, and
// goals and pits end the episode, so paths pass through free cells only.
func (m *GridMap) Distances() []int {
	dist := make([]int, len(m.Cells))
	for i := range dist {
		dist[i] = -1
	}
	dist[m.Start] = 0
	queue := []int{m.Start}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		if m.Cells[i] != Free {
			continue // a goal or a pit: the episode ends here
		}
		r, c := i/m.Cols, i%m.Cols
		for _, d := range gridMoves {
			nr, nc := r+d[0], c+d[1]
			if m.At(nr, nc) == Wall {
				continue
			}
			j := nr*m.Cols + nc
			if dist[j] < 0 {
				dist[j] = dist[i] + 1
				queue = append(queue, j)
			}
		}
	}
	return dist
}

// GridMapInfo describes a built-in map with the rewards and step limit it is
// usually played with.
type GridMapInfo struct {
	Name, Doc string
	Text      string
	// GoalReward, PitReward and StepReward are the defaults for this map.
	GoalReward, PitReward, StepReward float64
	// MaxSteps is the default time limit.
	MaxSteps int
}

// builtinGridMaps are the maps `gridworld:map=NAME` accepts.
var builtinGridMaps = []GridMapInfo{
	{
		Name: "open-5x5", Doc: "an open 5×5 room, start top left, goal bottom right",
		Text: `
S....
.....
.....
.....
....G
`,
		GoalReward: 1, PitReward: -1, StepReward: -0.01, MaxSteps: 100,
	},
	{
		Name: "maze-8x8", Doc: "an 8×8 maze with walls and one lava cell on the short way",
		Text: `
S..#....
.#.#.##.
.#...#..
.####.#.
......#.
.####L#.
.#......
...#.##G
`,
		GoalReward: 1, PitReward: -1, StepReward: -0.01, MaxSteps: 200,
	},
	{
		Name: "cliff", Doc: "Sutton & Barto's cliff walk (Example 6.6), 4×12; the cliff ends the episode",
		Text: `
............
............
............
SLLLLLLLLLLG
`,
		GoalReward: -1, PitReward: -100, StepReward: -1, MaxSteps: 100,
	},
	{
		Name: "four-rooms", Doc: "the four-rooms domain of Sutton, Precup & Singh (1999), 11×11 inside its walls",
		Text: `
#############
#S....#.....#
#.....#.....#
#...........#
#.....#.....#
#.....#.....#
##.####.....#
#.....###.###
#.....#.....#
#.....#.....#
#...........#
#.....#....G#
#############
`,
		GoalReward: 1, PitReward: -1, StepReward: -0.01, MaxSteps: 500,
	},
}

// BuiltinGridMaps lists the built-in maps.
func BuiltinGridMaps() []GridMapInfo { return append([]GridMapInfo(nil), builtinGridMaps...) }

// BuiltinGridMap returns the built-in map called name.
func BuiltinGridMap(name string) (GridMapInfo, bool) {
	for _, m := range builtinGridMaps {
		if m.Name == name {
			return m, true
		}
	}
	return GridMapInfo{}, false
}

func builtinGridMapNames() string {
	var n []string
	for _, m := range builtinGridMaps {
		n = append(n, m.Name)
	}
	return strings.Join(n, ", ")
}
