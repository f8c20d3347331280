// The run's log: log.jsonl: one JSON object
// a line, with "type" "episode" (step, episode, return, length, terminated,
// and the mean loss of the gradient steps since the previous episode line) or
// "eval" (step, episodes, mean, std, min, max, final).

package run

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/deepq/deepq/agent"
	"github.com/deepq/deepq/internal/atomicfile"
)

// Episode is an "episode" line.
type Episode struct {
	Type       string   `json:"type"`
	Step       int64    `json:"step"`
	Episode    int      `json:"episode"`
	Return     float64  `json:"return"`
	Length     int      `json:"length"`
	Terminated bool     `json:"terminated"`
	Loss       *float64 `json:"loss,omitempty"`
}

// Eval is an "eval" line.
type Eval struct {
	Type     string  `json:"type"`
	Step     int64   `json:"step"`
	Episodes int     `json:"episodes"`
	Mean     float64 `json:"mean"`
	Std      float64 `json:"std"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Final    bool    `json:"final"`
}

// LogWriter is an agent.Observer that writes the log.
type LogWriter struct {
	agent.NopObserver
	w       *bufio.Writer
	enc     *json.Encoder
	lossSum float64
	lossN   int
	err     error
}

// NewLogWriter writes log lines to w. A nil w is allowed until the first line
// if Reset sets the destination before it.
func NewLogWriter(w io.Writer) *LogWriter {
	bw := bufio.NewWriter(w)
	return &LogWriter{w: bw, enc: json.NewEncoder(bw)}
}

// Reset makes l write to w, discarding lines not yet flushed.
func (l *LogWriter) Reset(w io.Writer) { l.w.Reset(w) }

func (l *LogWriter) write(v any) {
	if err := l.enc.Encode(v); err != nil && l.err == nil {
		l.err = err
	}
}

// OnUpdate accumulates the loss for the next episode line.
func (l *LogWriter) OnUpdate(e *agent.UpdateEvent) { l.lossSum += e.Loss; l.lossN++ }

// OnEpisode writes an episode line.
func (l *LogWriter) OnEpisode(e *agent.EpisodeEvent) {
	line := Episode{Type: "episode", Step: e.Step, Episode: e.Episode, Return: e.Return, Length: e.Length, Terminated: e.Terminated}
	if l.lossN > 0 {
		m := l.lossSum / float64(l.lossN)
		line.Loss = &m
		l.lossSum, l.lossN = 0, 0
	}
	l.write(line)
}

// OnEval writes an eval line and flushes.
func (l *LogWriter) OnEval(e *agent.EvalEvent) {
	l.write(Eval{Type: "eval", Step: e.Step, Episodes: e.Episodes, Mean: e.Mean, Std: e.Std, Min: e.Min, Max: e.Max, Final: e.Final})
	l.Flush()
}

// BeforeCheckpoint flushes, so that the log holds every line up to the
// checkpoint's step before the checkpoint exists.
func (l *LogWriter) BeforeCheckpoint(int64) { l.Flush() }

var (
	_ agent.CheckpointObserver = (*LogWriter)(nil)
	_ agent.StatefulObserver   = (*LogWriter)(nil)
)

// logState is what a checkpoint keeps of a LogWriter: the losses of the
// gradient steps since the last episode line, whose mean the next line
// carries.
type logState struct {
	LossSum float64 `json:"loss_sum"`
	LossN   int     `json:"loss_n"`
}

// StateKey names the log's state in a checkpoint.
func (l *LogWriter) StateKey() string { return "log" }

// MarshalState saves the running loss sum and count.
func (l *LogWriter) MarshalState() ([]byte, error) {
	return json.Marshal(logState{l.lossSum, l.lossN})
}

// UnmarshalState restores them.
func (l *LogWriter) UnmarshalState(b []byte) error {
	var s logState
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s.LossN < 0 {
		return fmt.Errorf("loss count %d", s.LossN)
	}
	l.lossSum, l.lossN = s.LossSum, s.LossN
	return nil
}

// Flush writes buffered lines and returns the first error met so far.
func (l *LogWriter) Flush() error {
	if err := l.w.Flush(); err != nil && l.err == nil {
		l.err = err
	}
	return l.err
}

// Log is a parsed log.
type Log struct {
	Episodes []Episode
	Evals    []Eval
}

// ReadLog parses the log at path. A malformed line is an error naming its number.
func ReadLog(path string) (*Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseLog(f, path)
}

// ParseLog parses a log from r; name labels errors.
func ParseLog(r io.Reader, name string) (*Log, error) {
	lg := &Log{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var head struct {
			Type string `json:"type"`
		}
		line := sc.Bytes()
		if err := json.Unmarshal(line, &head); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		switch head.Type {
		case "episode":
			var e Episode
			if err := json.Unmarshal(line, &e); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, n, err)
			}
			lg.Episodes = append(lg.Episodes, e)
		case "eval":
			var e Eval
			if err := json.Unmarshal(line, &e); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, n, err)
			}
			lg.Evals = append(lg.Evals, e)
		default:
			return nil, fmt.Errorf("%s:%d: unknown line type %q", name, n, head.Type)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return lg, nil
}

// TruncateLogAfter prepares the log at path for a run resumed from a
// checkpoint at step: it keeps the lines of steps up to step and drops those
// after it (the resumed run writes them again) and any line that does not
// parse (a run killed mid-write leaves a partial last line). The file is
// replaced atomically. It returns the number of lines dropped. A missing log
// is not an error: there is nothing to keep.
func TruncateLogAfter(path string, step int64) (dropped int, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var kept []byte
	for line := range bytes.Lines(data) {
		var head struct {
			Type string `json:"type"`
			Step *int64 `json:"step"`
		}
		if json.Unmarshal(line, &head) != nil || head.Step == nil || *head.Step > step ||
			(head.Type != "episode" && head.Type != "eval") || !bytes.HasSuffix(line, []byte("\n")) {
			dropped++
			continue
		}
		kept = append(kept, line...)
	}
	if dropped == 0 {
		return 0, nil
	}
	err = atomicfile.WriteFile(path, func(w io.Writer) error { _, err := w.Write(kept); return err })
	if err != nil {
		return 0, fmt.Errorf("truncating %s for the resumed run: %w", path, err)
	}
	return dropped, nil
}
