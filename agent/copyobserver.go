package agent

// CopyObserver returns an Observer that passes o the steps and episodes of
// copy c of a PQN run's n env copies, and every gradient step, target update
// and evaluation: a view of one env (a live window on the vector env's copy
// c) sees one episode after another, as in a Trainer's run. It relies on
// PQN numbering frame i of a vector step taken after base frames base+i+1,
// with base a multiple of n.
func CopyObserver(o Observer, c, n int) Observer {
	if n < 1 || c < 0 || c >= n {
		panic("agent: CopyObserver of a copy outside [0, n)")
	}
	return &copyObserver{o: o, c: int64(c), n: int64(n)}
}

type copyObserver struct {
	o    Observer
	c, n int64
}

func (w *copyObserver) OnStep(e *StepEvent) {
	if (e.Step-1)%w.n == w.c {
		w.o.OnStep(e)
	}
}

func (w *copyObserver) OnEpisode(e *EpisodeEvent) {
	if (e.Step-1)%w.n == w.c {
		w.o.OnEpisode(e)
	}
}

func (w *copyObserver) OnUpdate(e *UpdateEvent)            { w.o.OnUpdate(e) }
func (w *copyObserver) OnTargetUpdate(step, updates int64) { w.o.OnTargetUpdate(step, updates) }
func (w *copyObserver) OnEval(e *EvalEvent)                { w.o.OnEval(e) }

var _ Observer = (*copyObserver)(nil)
