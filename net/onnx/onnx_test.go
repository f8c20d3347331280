package onnx

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/deepq/deepq/env"
	"github.com/deepq/deepq/net"
	"github.com/deepq/deepq/net/onnx/internal/onnxpb"
)

// testNet is a network the tests export, with the observations they feed it.
type testNet struct {
	name string
	in   []int
	spec []net.LayerSpec
	// obs draws one observation element, unless env is set.
	obs func(r *rand.Rand) float32
	// env names a deepq env whose observations, along random play, make
	// the batch: the graph takes them as they are.
	env string
}

func uniform(r *rand.Rand) float32 { return r.Float32() }
func normal(r *rand.Rand) float32  { return float32(r.NormFloat64()) }
func binary01(r *rand.Rand) float32 {
	if r.IntN(4) == 0 { // MinAtar's channels are sparse
		return 1
	}
	return 0
}

// testNets are the Q-networks deepq's agent builds (MLP, MinAtar and Nature
// trunks, plain and dueling heads) and two networks with every other layer
// kind.
var testNets = []testNet{
	{"mlp", []int{4}, net.MLP([]int{64, 64}, 2), normal, ""},
	{"mlp_dueling_linear", []int{6}, append(net.MLPTrunk([]int{32}), net.Dueling(3, 0)), normal, ""},
	{"minatar", []int{4, 10, 10}, net.MinAtarDQN(6), binary01, ""},
	{"minatar_dueling", []int{7, 10, 10}, append(net.MinAtarTrunk(), net.Dueling(6, 128)), binary01, ""},
	{"nature", []int{4, 84, 84}, net.NatureDQN(4), uniform, ""},
	{"nature_dueling", []int{4, 84, 84}, append(net.NatureTrunk(), net.Dueling(18, 512)), uniform, ""},
	{"minatar_seaquest_env", []int{10, 10, 10}, append(net.MinAtarTrunk(), net.Dueling(6, 128)), nil, "minatar-seaquest"},
	{"conv2d_norms", []int{3, 9, 11}, []net.LayerSpec{
		{Kind: "conv2d", Channels: 8, KernelH: 3, KernelW: 4, StrideH: 2, StrideW: 1, PadH: 1, PadW: 2},
		net.BatchNorm(), net.LeakyReLU(0.1), net.LayerNorm(1), net.Tanh(),
		net.Dense(10), net.Sigmoid(), net.Dropout(0.3), net.Dense(5), net.Softmax(-1),
	}, normal, ""},
	{"conv3d_norms", []int{2, 5, 6, 7}, []net.LayerSpec{
		net.Conv3D(4, 3, 1, 1), {Kind: "batch_norm", Eps: 1e-3, Momentum: 0.1, NoAffine: true}, net.ReLU(),
		net.Flatten(), net.Dense(16), net.LayerNorm(-1), net.ReLU(),
		{Kind: "layer_norm", Dim: -1, Eps: 1e-5, NoAffine: true},
		net.Dueling(4, 8), net.LogSoftmax(1),
	}, normal, ""},
}

// build makes tn's network with seeded random weights, random batch-norm
// statistics and norm parameters (they start at 0 and 1 otherwise), in
// evaluation mode.
func (tn testNet) build(t testing.TB, seed uint64) *net.Sequential[float32] {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	m, err := net.Build[float32](tn.in, tn.spec, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		switch l := l.(type) {
		case *net.BatchNormLayer[float32]:
			for i := range l.C {
				l.RunningMean.Value.Data[i] = float32(r.NormFloat64() * 0.1)
				l.RunningVar.Value.Data[i] = 0.5 + r.Float32()
			}
			if l.W != nil {
				fill(r, l.W.Value.Data, 1)
				fill(r, l.B.Value.Data, 0)
			}
		case *net.LayerNormLayer[float32]:
			if l.W != nil {
				fill(r, l.W.Value.Data, 1)
				fill(r, l.B.Value.Data, 0)
			}
		}
	}
	m.SetTraining(false)
	return m
}

// batch returns n observations (n, in…): drawn by tn.obs, or those tn.env
// shows along an episode of random actions (every 7th step, from the start).
func (tn testNet) batch(t testing.TB, n int, r *rand.Rand) *net.Tensor[float32] {
	t.Helper()
	x := net.New[float32](append([]int{n}, tn.in...)...)
	per := len(x.Data) / n
	if tn.env == "" {
		for j := range x.Data {
			x.Data[j] = tn.obs(r)
		}
		return x
	}
	e, err := env.Make(tn.env)
	if err != nil {
		t.Fatal(err)
	}
	if sp := e.Spec().Observation.Shape; !slices.Equal(sp, tn.in) {
		t.Fatalf("%s observations are %v, the network takes %v", tn.env, sp, tn.in)
	}
	e.Seed(r.Uint64())
	obs := e.Reset()
	for i := range n * 7 {
		if i%7 == 0 {
			copy(x.Data[i/7*per:], obs)
		}
		var term, trunc bool
		obs, _, term, trunc = e.Step(r.IntN(e.Spec().Actions.N))
		if term || trunc {
			obs = e.Reset()
		}
	}
	return x
}

func fill(r *rand.Rand, x []float32, around float32) {
	for i := range x {
		x[i] = around + float32(r.NormFloat64()*0.2)
	}
}

// evalCase is one export for a script to evaluate: files in one directory,
// listed in its cases.json.
type evalCase struct {
	Name     string `json:"name"`
	Model    string `json:"model"` // the ONNX file
	Obs      string `json:"obs"`   // observations, raw float32
	ObsShape []int  `json:"obs_shape"`
	Q        string `json:"q"` // deepq's Q-values for them, raw float32
	QShape   []int  `json:"q_shape"`
}

// writeCases exports each of testNets into dir with a batch of 5
// observations and deepq's Q-values for them (Sequential.Forward in
// evaluation mode), and writes dir/cases.json.
func writeCases(t *testing.T, dir string) []evalCase {
	t.Helper()
	var cases []evalCase
	const batch = 5
	for i, tn := range testNets {
		m := tn.build(t, uint64(i))
		r := rand.New(rand.NewPCG(uint64(i), 2))
		x := tn.batch(t, batch, r)
		q := m.Forward(x)
		c := evalCase{Name: tn.name, Model: tn.name + ".onnx", Obs: tn.name + ".obs.f32", ObsShape: x.Shape,
			Q: tn.name + ".q.f32", QShape: q.Shape}
		if err := WriteFile(filepath.Join(dir, c.Model), m, Options{}); err != nil {
			t.Fatal(err)
		}
		writeFloats(t, filepath.Join(dir, c.Obs), x.Data)
		writeFloats(t, filepath.Join(dir, c.Q), q.Data)
		cases = append(cases, c)
	}
	js, _ := json.Marshal(cases)
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	return cases
}

// tolerance is how far a float32 evaluation of a graph whose largest output
// is maxQ may be from the exact value: 16 units in the last place of the
// largest Q-value (2⁻²⁰·max|q|, with ε₃₂ = 2⁻²⁴), for sums of up to 3136
// products (the Nature trunk's features) in between. deepq and a float64
// reference differ by 1 or 2.
func tolerance(maxQ float64) float64 { return 0x1p-20 * maxQ }

// TestNumpyEvaluatesExports exports each test network and runs
// testdata/eval_onnx.py on it, which checks the file with python3-onnx's
// checker (full_check) and evaluates the graph with its own numpy
// interpreter in float64, independently of deepq. deepq's float32 forward
// pass must match it to float32 rounding.
func TestNumpyEvaluatesExports(t *testing.T) {
	py := onnxPython(t)
	dir := t.TempDir()
	cases := writeCases(t, dir)
	var stderr bytes.Buffer
	cmd := exec.Command(py, "testdata/eval_onnx.py", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("eval_onnx.py: %v\n%s", err, stderr.String())
	}
	var res struct {
		Version string `json:"onnx_version"`
		Cases   []struct {
			Name      string   `json:"name"`
			Ops       []string `json:"ops"`
			Inferred  []any    `json:"inferred_output"`
			MaxAbsErr float64  `json:"max_abs_err"`
			MaxAbsQ   float64  `json:"max_abs_q"`
			QSpread   float64  `json:"q_spread"`
		} `json:"cases"`
		Fields map[string]map[string][2]int `json:"fields"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("eval_onnx.py output: %v\n%s", err, out)
	}
	if len(res.Cases) != len(cases) {
		t.Fatalf("eval_onnx.py checked %d cases, want %d", len(res.Cases), len(cases))
	}
	t.Logf("onnx %s", res.Version)
	for i, c := range res.Cases {
		tol := tolerance(c.MaxAbsQ)
		t.Logf("%-20s max |q_deepq − q_numpy| = %.2e (max |q| %.3f, tolerance %.1e)  %d nodes %v",
			c.Name, c.MaxAbsErr, c.MaxAbsQ, tol, len(c.Ops), summarize(c.Ops))
		if c.Name != cases[i].Name {
			t.Errorf("case %d is %s, want %s", i, c.Name, cases[i].Name)
		}
		want := []any{BatchDim}
		for _, d := range cases[i].QShape[1:] {
			want = append(want, float64(d))
		}
		if !slices.Equal(c.Inferred, want) {
			t.Errorf("%s: onnx's shape inference gives the output shape %v, want %v", c.Name, c.Inferred, want)
		}
		if !(c.MaxAbsErr <= tol) {
			t.Errorf("%s: deepq and the ONNX graph differ by %.3g (tolerance %.3g)", c.Name, c.MaxAbsErr, tol)
		}
		if !(c.QSpread > 100*tol) {
			t.Errorf("%s: the outputs of a sample differ by only %.3g: too flat to tell actions apart", c.Name, c.QSpread)
		}
	}
	checkFieldNumbers(t, res.Fields)
}

// TestOnnxRuntime runs the exports in ONNX Runtime, where exported policies
// mostly end up: npm's onnxruntime-node (CPU, default graph optimisations),
// whose output must match deepq's forward pass to float32 rounding. It needs
// DEEPQ_ORT=DIR, a node_modules directory with onnxruntime-node
// (testdata/ort/package-lock.json; .ci/run installs it with npm ci
// --ignore-scripts), and skips without it.
func TestOnnxRuntime(t *testing.T) {
	mods := os.Getenv("DEEPQ_ORT")
	if mods == "" {
		t.Skip("set DEEPQ_ORT to a node_modules directory with onnxruntime-node (npm ci --ignore-scripts in testdata/ort)")
	}
	dir := t.TempDir()
	cases := writeCases(t, dir)
	var stderr bytes.Buffer
	cmd := exec.Command("node", "testdata/ort/run_ort.js", dir)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run_ort.js: %v\n%s", err, stderr.String())
	}
	var res struct {
		Version string `json:"ort_version"`
		Cases   []struct {
			Name      string   `json:"name"`
			Dims      []int    `json:"dims"`
			MaxAbsErr *float64 `json:"max_abs_err"`
			MaxAbsQ   float64  `json:"max_abs_q"`
			Inputs    []string `json:"inputs"`
			Outputs   []string `json:"outputs"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("run_ort.js output: %v\n%s", err, out)
	}
	if len(res.Cases) != len(cases) {
		t.Fatalf("ONNX Runtime ran %d cases, want %d", len(res.Cases), len(cases))
	}
	t.Logf("ONNX Runtime %s", res.Version)
	for i, c := range res.Cases {
		want := cases[i]
		if c.Name != want.Name || !slices.Equal(c.Dims, want.QShape) || !slices.Equal(c.Inputs, []string{Input}) || !slices.Equal(c.Outputs, []string{Output}) {
			t.Errorf("case %d: %s %v -> %v dims %v; want %s obs -> q dims %v", i, c.Name, c.Inputs, c.Outputs, c.Dims, want.Name, want.QShape)
			continue
		}
		tol := 2 * tolerance(c.MaxAbsQ) // two float32 evaluations, each within tolerance of the exact value
		if c.MaxAbsErr == nil || !(*c.MaxAbsErr <= tol) {
			t.Errorf("%s: ONNX Runtime and deepq differ by %v (tolerance %.3g)", c.Name, c.MaxAbsErr, tol)
			continue
		}
		t.Logf("%-20s max |q_deepq − q_ort| = %.2e (max |q| %.3f, tolerance %.1e)", c.Name, *c.MaxAbsErr, c.MaxAbsQ, tol)
	}
}

// checkFieldNumbers compares every field of deepq's onnx.proto with the same
// field of onnx's own messages (number and protobuf type): a wrong number
// would still parse, into the wrong field.
func checkFieldNumbers(t *testing.T, theirs map[string]map[string][2]int) {
	t.Helper()
	msgs := map[string]proto.Message{
		"ModelProto":                 &onnxpb.ModelProto{},
		"GraphProto":                 &onnxpb.GraphProto{},
		"NodeProto":                  &onnxpb.NodeProto{},
		"TensorProto":                &onnxpb.TensorProto{},
		"ValueInfoProto":             &onnxpb.ValueInfoProto{},
		"AttributeProto":             &onnxpb.AttributeProto{},
		"TypeProto":                  &onnxpb.TypeProto{},
		"TypeProto.Tensor":           &onnxpb.TypeProto_Tensor{},
		"TensorShapeProto":           &onnxpb.TensorShapeProto{},
		"TensorShapeProto.Dimension": &onnxpb.TensorShapeProto_Dimension{},
		"OperatorSetIdProto":         &onnxpb.OperatorSetIdProto{},
		"StringStringEntryProto":     &onnxpb.StringStringEntryProto{},
	}
	n := 0
	for name, m := range msgs {
		fields := m.ProtoReflect().Descriptor().Fields()
		for i := range fields.Len() {
			f := fields.Get(i)
			want, ok := theirs[name][string(f.Name())]
			switch {
			case !ok:
				t.Errorf("%s.%s: onnx has no such field", name, f.Name())
			case protoreflect.FieldNumber(want[0]) != f.Number() || protoreflect.Kind(want[1]) != f.Kind():
				t.Errorf("%s.%s: number %d, %v; onnx has %d, %v", name, f.Name(), f.Number(), f.Kind(), want[0], protoreflect.Kind(want[1]))
			}
			n++
		}
	}
	t.Logf("%d fields of %d messages agree with onnx's", n, len(msgs))
}

// summarize counts ops, e.g. "Conv×3 Relu×4 Flatten Gemm×2".
func summarize(ops []string) string {
	var b strings.Builder
	for i := 0; i < len(ops); {
		j := i
		for j < len(ops) && ops[j] == ops[i] {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ops[i])
		if j-i > 1 {
			b.WriteString("×" + strconv.Itoa(j-i))
		}
		i = j
	}
	return b.String()
}

func writeFloats(t *testing.T, path string, x []float32) {
	t.Helper()
	b := make([]byte, 0, 4*len(x))
	for _, v := range x {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// onnxPython returns the Python interpreter that has Debian's python3-onnx
// and python3-numpy: $DEEPQ_PYTHON, or /usr/bin/python3 (Debian's, which
// the packages install into, whatever python3 comes first on PATH). Where
// they are missing the test skips, except under CI (CI=true), whose script
// installs them: there it fails.
func onnxPython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("DEEPQ_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	out, err := exec.Command(py, "-c", "import onnx, numpy; print(onnx.__version__)").CombinedOutput()
	if err != nil {
		msg := py + " cannot import onnx and numpy (apt-get install python3-onnx python3-numpy): " +
			strings.TrimSpace(lastLine(string(out))) + " " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestGraphStructure decodes an export of a MinAtar dueling network and
// checks what any ONNX reader relies on: the versions, the declared input and
// output, the weights bit for bit under deepq's names, and nodes that only
// read values already made.
func TestGraphStructure(t *testing.T) {
	tn := testNets[3] // minatar_dueling
	m := tn.build(t, 7)
	b, err := Marshal(m, Options{Metadata: []Property{{"deepq.env", "MinAtar/Breakout"}}})
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatal(err)
	}
	if mp.IrVersion != IRVersion || len(mp.OpsetImport) != 1 || mp.OpsetImport[0].Version != Opset || mp.OpsetImport[0].Domain != "" {
		t.Errorf("ir_version %d, opset_import %v", mp.IrVersion, mp.OpsetImport)
	}
	if mp.ProducerName != "deepq" || len(mp.MetadataProps) != 1 || mp.MetadataProps[0].Key != "deepq.env" {
		t.Errorf("producer %q, metadata %v", mp.ProducerName, mp.MetadataProps)
	}
	g := mp.Graph
	shapeOf := func(vi *onnxpb.ValueInfoProto) []string {
		var s []string
		for _, d := range vi.Type.GetTensorType().Shape.Dim {
			if p := d.GetDimParam(); p != "" {
				s = append(s, p)
			} else {
				s = append(s, strconv.FormatInt(d.GetDimValue(), 10))
			}
		}
		return s
	}
	if len(g.Input) != 1 || g.Input[0].Name != Input || !slices.Equal(shapeOf(g.Input[0]), []string{"batch", "7", "10", "10"}) {
		t.Errorf("input %v", g.Input)
	}
	if len(g.Output) != 1 || g.Output[0].Name != Output || !slices.Equal(shapeOf(g.Output[0]), []string{"batch", "6"}) {
		t.Errorf("output %v", g.Output)
	}
	// Every parameter is an initializer of the same name, shape and bits.
	inits := map[string]*onnxpb.TensorProto{}
	for _, in := range g.Initializer {
		inits[in.Name] = in
	}
	if len(inits) != len(m.Params()) {
		t.Errorf("%d initializers, the network has %d parameters", len(inits), len(m.Params()))
	}
	for _, p := range m.Params() {
		in := inits[p.Name]
		if in == nil {
			t.Errorf("no initializer %s", p.Name)
			continue
		}
		if !slices.Equal(in.Dims, int64s(p.Value.Shape)) || in.DataType != int32(onnxpb.TensorProto_FLOAT) {
			t.Errorf("%s: dims %v type %d, want %v float", p.Name, in.Dims, in.DataType, p.Value.Shape)
		}
		for i, v := range p.Value.Data {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(in.RawData[4*i:])); got != v {
				t.Errorf("%s[%d] = %v, want %v", p.Name, i, got, v)
				break
			}
		}
	}
	// Topological order: each node reads the input, initializers or values
	// of earlier nodes; the last node makes the output.
	known := map[string]bool{Input: true}
	for n := range inits {
		known[n] = true
	}
	for _, n := range g.Node {
		for _, in := range n.Input {
			if !known[in] {
				t.Errorf("node %s (%s) reads %s before it is made", n.Name, n.OpType, in)
			}
		}
		known[n.Output[0]] = true
	}
	last := g.Node[len(g.Node)-1]
	if last.OpType != "Sub" || last.Output[0] != Output {
		t.Errorf("last node %s %v, want the dueling head's Sub making %s", last.OpType, last.Output, Output)
	}
	// The same network gives the same bytes.
	b2, _ := Marshal(m, Options{Metadata: []Property{{"deepq.env", "MinAtar/Breakout"}}})
	if !bytes.Equal(b, b2) {
		t.Error("two exports of one network differ")
	}
}

// oddLayer is a layer type this package has never heard of.
type oddLayer struct{ net.ReLULayer[float32] }

func (oddLayer) Spec() net.LayerSpec { return net.LayerSpec{Kind: "odd"} }

// TestErrors: a layer without a translation, duplicate metadata and an
// unwritable path are errors that name them.
func TestErrors(t *testing.T) {
	m := testNets[0].build(t, 1)
	m.Layers[1] = &oddLayer{}
	if _, err := Marshal(m, Options{}); err == nil || !strings.Contains(err.Error(), "layer 1 (odd)") {
		t.Errorf("a network with an unknown layer: %v", err)
	}
	m = testNets[0].build(t, 1)
	if _, err := Marshal(m, Options{Metadata: []Property{{"k", "1"}, {"k", "2"}}}); err == nil || !strings.Contains(err.Error(), `"k"`) {
		t.Errorf("duplicate metadata: %v", err)
	}
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "m.onnx")
	if err := WriteFile(path, m, Options{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteFile into a missing directory: %v", err)
	}
}

// TestOnlyDropout: a network with no node of its own still makes its output.
func TestOnlyDropout(t *testing.T) {
	m, err := net.Build[float32]([]int{3}, []net.LayerSpec{net.Dropout(0.5)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatal(err)
	}
	if n := mp.Graph.Node; len(n) != 1 || n[0].OpType != "Identity" || n[0].Input[0] != Input || n[0].Output[0] != Output {
		t.Errorf("nodes %v", n)
	}
}
