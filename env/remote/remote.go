package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/deepq/deepq/env"
	pb "github.com/deepq/deepq/internal/dmenvrpc"
)

// Config says where a remote env is and which one to make.
type Config struct {
	// Addr is the server's host:port, e.g. "127.0.0.1:50051".
	Addr string
	// World is the env to create, sent as CreateWorld's "env" setting: for
	// scripts/dm_env_rpc_server.py a Gymnasium id such as "CartPole-v1".
	World string
	// WorldSettings are further CreateWorld settings, e.g.
	// Int("max_episode_steps", 200) (the Python server passes them to
	// gymnasium.make as keyword arguments).
	WorldSettings []Setting
	// Observation names the observation to use when the server offers more
	// than one besides "reward" and "discount"; "" takes the only one.
	Observation string
	// Timeout bounds each request's round trip, connecting included; a server
	// that does not answer within it has failed.
	Timeout time.Duration
	// Connections is the number of gRPC connections a Vector spreads its
	// copies over (0 or 1: one for all). A server of several processes
	// sharing one port (dm_env_rpc_server.py --processes K) gets connections,
	// not streams, spread over its processes by the kernel, so only with
	// several connections do its processes step copies in parallel.
	Connections int
	// MaxEpisodeSteps is the server's time limit, for Spec (dm_env_rpc has no
	// field for it); 0 if unknown. It does not truncate anything itself.
	MaxEpisodeSteps int
}

// DefaultConfig returns a Config for addr and world with a 10 s timeout.
func DefaultConfig(addr, world string) Config {
	return Config{Addr: addr, World: world, Timeout: 10 * time.Second}
}

// Validate checks the address, world and timeout.
func (c Config) Validate() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("remote: address %q: want host:port, e.g. 127.0.0.1:50051 (%v)", c.Addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 || host == "" {
		return fmt.Errorf("remote: address %q: want host:port with a port in 1..65535, e.g. 127.0.0.1:50051", c.Addr)
	}
	if c.World == "" {
		return fmt.Errorf("remote: no world: name the env to create, e.g. CartPole-v1")
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("remote: timeout %v: want a positive duration", c.Timeout)
	}
	if c.Connections < 0 {
		return fmt.Errorf("remote: Connections %d: want 0 (one) or more", c.Connections)
	}
	if c.MaxEpisodeSteps < 0 {
		return fmt.Errorf("remote: MaxEpisodeSteps %d: want 0 (unknown) or more", c.MaxEpisodeSteps)
	}
	return nil
}

// ServerError is an error the server sent in answer to a request (the
// google.rpc.Status in an EnvironmentResponse), as opposed to a failure to
// reach it.
type ServerError struct {
	Request string // "create_world", "step"...
	Code    codes.Code
	Message string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("the server answered %s with %s: %s", e.Request, e.Code, e.Message)
}

// errTimeout is the cause with which a request's timer cancels its stream.
var errTimeout = errors.New("remote: request timed out")

// Env is one dm_env_rpc connection joined to one world, as an env.Env.
//
// Env's methods cannot return errors, so the first failure (the server
// answered with an error, the connection broke, or a request timed out) is
// kept and reported by Err. From then on Reset and Step return at once: Reset
// the last observation, Step the last observation with reward 0 and
// truncated = true. Check Err after every Reset and Step (a training loop
// finds it through env.Find[env.Failer]) and stop on the first error.
//
// An Env is not safe for concurrent use.
type Env struct {
	cfg     Config
	conn    *grpc.ClientConn
	ownConn bool
	stream  grpc.BidiStreamingClient[pb.EnvironmentRequest, pb.EnvironmentResponse]
	cancel  context.CancelCauseFunc
	ctx     context.Context
	timer   *time.Timer
	world   string // the created world's name
	joined  bool

	specs     *pb.ActionObservationSpecs // as JoinWorld returned them
	spec      env.Spec
	obsUID    uint64
	rewardUID uint64 // 0: the server sends no reward
	discUID   uint64 // 0: no discount
	requested []uint64
	actUID    uint64
	actType   pb.DataType
	actMin    int64

	obs    []float32
	ended  bool // the last step ended an episode (or none started yet)
	seed   uint64
	seeded bool // Seed was called since the last Reset
	err    error
}

var (
	_ env.Env    = (*Env)(nil)
	_ env.Failer = (*Env)(nil)
)

// Dial connects to the server at cfg.Addr, creates the world cfg.World,
// joins it, and reads its specs.
func Dial(cfg Config) (*Env, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conn, err := dial(cfg.Addr)
	if err != nil {
		return nil, err
	}
	e, err := open(conn, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	e.ownConn = true
	// An env dropped without Close (env.Env has none) closes its connection
	// when collected, and the server then destroys its world.
	runtime.AddCleanup(e, func(c *grpc.ClientConn) { c.Close() }, conn)
	return e, nil
}

func dial(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("remote: connect to %s: %v", addr, err)
	}
	return conn, nil
}

// open starts a stream on conn and creates and joins cfg's world.
func open(conn *grpc.ClientConn, cfg Config) (*Env, error) {
	e := &Env{cfg: cfg, conn: conn, ended: true}
	e.ctx, e.cancel = context.WithCancelCause(context.Background())
	e.timer = time.AfterFunc(cfg.Timeout, func() { e.cancel(errTimeout) })
	stream, err := pb.NewEnvironmentClient(conn).Process(e.ctx)
	e.timer.Stop()
	if err != nil {
		e.cancel(nil)
		return nil, e.wrap("connect", e.transportError(err))
	}
	e.stream = stream

	settings, err := settingsMap(append([]Setting{String("env", cfg.World)}, cfg.WorldSettings...))
	if err != nil {
		e.cancel(nil)
		return nil, err
	}
	resp, err := e.call(&pb.EnvironmentRequest{Payload: &pb.EnvironmentRequest_CreateWorld{
		CreateWorld: &pb.CreateWorldRequest{Settings: settings}}})
	if err != nil {
		e.cancel(nil)
		return nil, err
	}
	e.world = resp.GetCreateWorld().GetWorldName()
	resp, err = e.call(&pb.EnvironmentRequest{Payload: &pb.EnvironmentRequest_JoinWorld{
		JoinWorld: &pb.JoinWorldRequest{WorldName: e.world}}})
	if err != nil {
		e.Close()
		return nil, err
	}
	e.joined = true
	e.specs = resp.GetJoinWorld().GetSpecs()
	if err := e.readSpecs(); err != nil {
		e.Close()
		return nil, e.wrap("join_world", err)
	}
	return e, nil
}

// wrap names the env and the request in err.
func (e *Env) wrap(request string, err error) error {
	var se *ServerError
	if errors.As(err, &se) {
		return fmt.Errorf("remote env %s at %s: %w", e.cfg.World, e.cfg.Addr, err)
	}
	return fmt.Errorf("remote env %s at %s: %s: %w", e.cfg.World, e.cfg.Addr, request, err)
}

// transportError explains a failed Send or Recv.
func (e *Env) transportError(err error) error {
	if errors.Is(context.Cause(e.ctx), errTimeout) {
		return fmt.Errorf("no answer within %v: is the server alive? (%w)", e.cfg.Timeout, errTimeout)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("the server closed the stream")
	}
	if s, ok := status.FromError(err); ok {
		if s.Code() == codes.Unavailable {
			return fmt.Errorf("server unavailable (stopped, or not listening there?): %s", s.Message())
		}
		return fmt.Errorf("%s: %s", s.Code(), s.Message())
	}
	return err
}

// payloadName is the request kind, as the protocol's oneof names it.
func payloadName(req *pb.EnvironmentRequest) string {
	return string(req.ProtoReflect().WhichOneof(req.ProtoReflect().Descriptor().Oneofs().ByName("payload")).Name())
}

// send sends req, within the timeout (Send blocks only when the stream's
// flow-control window is full).
func (e *Env) send(req *pb.EnvironmentRequest) error {
	e.timer.Reset(e.cfg.Timeout)
	err := e.stream.Send(req)
	if errors.Is(err, io.EOF) {
		// Send reports io.EOF when the stream broke; Recv has the reason.
		_, err = e.stream.Recv()
	}
	e.timer.Stop()
	if err != nil {
		return e.wrap(payloadName(req), e.transportError(err))
	}
	return nil
}

// recv waits up to the timeout for the answer to a request of kind want.
func (e *Env) recv(want string) (*pb.EnvironmentResponse, error) {
	e.timer.Reset(e.cfg.Timeout)
	resp, err := e.stream.Recv()
	e.timer.Stop()
	if err != nil {
		return nil, e.wrap(want, e.transportError(err))
	}
	if s := resp.GetError(); s != nil {
		return nil, e.wrap(want, &ServerError{Request: want, Code: codes.Code(s.GetCode()), Message: s.GetMessage()})
	}
	got := resp.ProtoReflect().WhichOneof(resp.ProtoReflect().Descriptor().Oneofs().ByName("payload"))
	if got == nil {
		return nil, e.wrap(want, fmt.Errorf("the server answered with an empty response: protocol error"))
	}
	if string(got.Name()) != want {
		return nil, e.wrap(want, fmt.Errorf("the server answered with %q: protocol error", got.Name()))
	}
	return resp, nil
}

// call sends req and waits for its answer.
func (e *Env) call(req *pb.EnvironmentRequest) (*pb.EnvironmentResponse, error) {
	if err := e.send(req); err != nil {
		return nil, err
	}
	return e.recv(payloadName(req))
}

// readSpecs turns the joined world's specs into e.spec.
func (e *Env) readSpecs() error {
	sp := e.specs
	if len(sp.GetActions()) != 1 {
		return fmt.Errorf("the world has %d actions, want 1 discrete action", len(sp.GetActions()))
	}
	for uid, a := range sp.GetActions() {
		lo, okLo := intBound(a.GetMin())
		hi, okHi := intBound(a.GetMax())
		if !integerType(a.GetDtype()) || len(a.GetShape()) != 0 || !okLo || !okHi {
			return fmt.Errorf("action %q (%v, shape %v) is not a discrete scalar: want an integer scalar with one-element min and max", a.GetName(), a.GetDtype(), a.GetShape())
		}
		if hi < lo || hi-lo >= 1<<24 {
			return fmt.Errorf("action %q has range [%d, %d]: want min <= max and fewer than 2^24 actions", a.GetName(), lo, hi)
		}
		e.actUID, e.actType, e.actMin = uid, a.GetDtype(), lo
		e.spec.Actions = env.Discrete{N: int(hi - lo + 1)}
	}

	var names []string
	for uid, o := range sp.GetObservations() {
		switch o.GetName() {
		case "reward":
			e.rewardUID = uid
		case "discount":
			e.discUID = uid
		default:
			names = append(names, o.GetName())
			if o.GetName() == e.cfg.Observation || e.cfg.Observation == "" {
				e.obsUID = uid
			}
		}
	}
	slices.Sort(names)
	switch {
	case e.cfg.Observation == "" && len(names) != 1:
		return fmt.Errorf("the world has observations %q besides reward and discount: name the one to use (option obs)", names)
	case e.cfg.Observation != "" && !slices.Contains(names, e.cfg.Observation):
		return fmt.Errorf("the world has no observation %q (it has %q)", e.cfg.Observation, names)
	}
	o := sp.GetObservations()[e.obsUID]
	if o.GetDtype() == pb.DataType_STRING || o.GetDtype() == pb.DataType_PROTO || o.GetDtype() == pb.DataType_INVALID_DATA_TYPE {
		return fmt.Errorf("observation %q is %v: want numbers", o.GetName(), o.GetDtype())
	}
	shape := []int{1} // a scalar observation is a vector of one
	if len(o.GetShape()) > 0 {
		shape = shape[:0]
		for _, d := range o.GetShape() {
			if d < 1 {
				return fmt.Errorf("observation %q has shape %v: want fixed positive dimensions", o.GetName(), o.GetShape())
			}
			shape = append(shape, int(d))
		}
	}
	n := 1
	for _, d := range shape {
		if n *= d; n > maxObsSize {
			return fmt.Errorf("observation %q has shape %v: more than %d elements", o.GetName(), o.GetShape(), maxObsSize)
		}
	}
	box := env.Box{Shape: shape}
	box.Low, box.High = make([]float32, n), make([]float32, n)
	if err := bound(box.Low, o.GetMin(), float32(math.Inf(-1))); err != nil {
		return fmt.Errorf("observation %q min %v", o.GetName(), err)
	}
	if err := bound(box.High, o.GetMax(), float32(math.Inf(1))); err != nil {
		return fmt.Errorf("observation %q max %v", o.GetName(), err)
	}
	e.spec.Observation = box
	e.spec.ID = e.cfg.World
	e.spec.MaxEpisodeSteps = e.cfg.MaxEpisodeSteps
	e.spec.RewardRange = [2]float64{math.Inf(-1), math.Inf(1)}
	if e.rewardUID != 0 {
		var lo, hi [1]float32
		r := sp.GetObservations()[e.rewardUID]
		if bound(lo[:], r.GetMin(), float32(math.Inf(-1))) == nil && bound(hi[:], r.GetMax(), float32(math.Inf(1))) == nil {
			e.spec.RewardRange = [2]float64{float64(lo[0]), float64(hi[0])}
		}
	}
	e.requested = []uint64{e.obsUID}
	for _, uid := range []uint64{e.rewardUID, e.discUID} {
		if uid != 0 {
			e.requested = append(e.requested, uid)
		}
	}
	e.obs = make([]float32, n)
	return nil
}

// maxObsSize bounds the elements of an observation (64 MiB of float32), so
// that a wrong spec is an error rather than an allocation that fails.
const maxObsSize = 1 << 24

// Spec returns the spaces read from the world's specs: the observation's
// shape (a scalar as shape (1)) and bounds (±Inf where the server gives
// none), N = max − min + 1 actions, ID = the world's env id.
func (e *Env) Spec() *env.Spec { return &e.spec }

// World returns the name the server gave the created world.
func (e *Env) World() string { return e.world }

// Err returns the first failure, or nil.
func (e *Env) Err() error { return e.err }

// Seed makes the next Reset send the reset setting "seed" = seed (a UINT64
// scalar); the Python server calls env.reset(seed=seed), as Gymnasium's
// reset(seed=s) is deepq's Seed(s) then Reset. Later episodes continue that
// generator.
func (e *Env) Seed(seed uint64) { e.seed, e.seeded = seed, true }

// Reset starts a new episode (a ResetRequest and a StepRequest, pipelined in
// one round trip) and returns its first observation.
func (e *Env) Reset() []float32 {
	obs, _ := e.ResetWith()
	return obs
}

// ResetWith starts a new episode with extra reset settings, e.g. a test
// env's start state, Float64s("state", x, ẋ, θ, θ̇), and returns its first
// observation or the failure (which Err then reports too).
func (e *Env) ResetWith(settings ...Setting) ([]float32, error) {
	if e.err == nil {
		if err := e.startReset(settings); err != nil {
			e.err = err
		} else {
			e.err = e.finishReset()
		}
	}
	return e.obs, e.err
}

func (e *Env) startReset(settings []Setting) error {
	if e.seeded {
		settings = append([]Setting{Uint("seed", e.seed)}, settings...)
		e.seeded = false
	}
	m, err := settingsMap(settings)
	if err != nil {
		return err
	}
	if err := e.send(&pb.EnvironmentRequest{Payload: &pb.EnvironmentRequest_Reset_{Reset_: &pb.ResetRequest{Settings: m}}}); err != nil {
		return err
	}
	return e.send(&pb.EnvironmentRequest{Payload: &pb.EnvironmentRequest_Step{Step: &pb.StepRequest{RequestedObservations: e.requested}}})
}

func (e *Env) finishReset() error {
	resp, err := e.recv("reset")
	if err != nil {
		e.recv("step") // the pipelined step's answer (an error too, or a stale one)
		return err
	}
	if sp := resp.GetReset_().GetSpecs(); sp != nil && !proto.Equal(sp, e.specs) {
		e.recv("step")
		return e.wrap("reset", fmt.Errorf("the server changed the world's specs at reset"))
	}
	resp, err = e.recv("step")
	if err != nil {
		return err
	}
	st := resp.GetStep()
	if st.GetState() != pb.EnvironmentStateType_RUNNING {
		return e.wrap("step", fmt.Errorf("a new episode began in state %v, want RUNNING", st.GetState()))
	}
	if err := decode(e.obs, st.GetObservations()[e.obsUID]); err != nil {
		return e.wrap("step", fmt.Errorf("observation %v", err))
	}
	e.ended = false
	return nil
}

// Step sends action (as min + action, in the action spec's type) and returns
// the next observation, the "reward" observation (0 if the server sends
// none) and the end flags, read from the StepResponse's state:
//
//	RUNNING                     neither
//	TERMINATED, discount 0      terminated: a terminal state, do not bootstrap
//	TERMINATED, discount > 0    truncated (dm_env's LAST step with discount 1)
//	INTERRUPTED                 truncated
//
// dm_env_rpc has one state where Gymnasium has two flags, so an episode that
// is terminated and truncated at once arrives as terminated only. Step
// panics if action is out of range or no episode is running (call Reset).
func (e *Env) Step(action int) ([]float32, float64, bool, bool) {
	if e.err != nil {
		return e.obs, 0, false, true
	}
	if e.err = e.startStep(action); e.err != nil {
		return e.obs, 0, false, true
	}
	r, term, trunc, err := e.finishStep()
	if err != nil {
		e.err = err
		return e.obs, 0, false, true
	}
	return e.obs, r, term, trunc
}

func (e *Env) startStep(action int) error {
	if action < 0 || action >= e.spec.Actions.N {
		panic(fmt.Sprintf("remote: action %d out of range [0, %d)", action, e.spec.Actions.N))
	}
	if e.ended {
		panic("remote: Step called with no episode running: call Reset first")
	}
	return e.send(&pb.EnvironmentRequest{Payload: &pb.EnvironmentRequest_Step{Step: &pb.StepRequest{
		Actions:               map[uint64]*pb.Tensor{e.actUID: actionTensor(e.actType, e.actMin+int64(action))},
		RequestedObservations: e.requested,
	}}})
}

func (e *Env) finishStep() (reward float64, terminated, truncated bool, err error) {
	resp, err := e.recv("step")
	if err != nil {
		return 0, false, false, err
	}
	st := resp.GetStep()
	obs := st.GetObservations()
	if err := decode(e.obs, obs[e.obsUID]); err != nil {
		return 0, false, false, e.wrap("step", fmt.Errorf("observation %v", err))
	}
	if e.rewardUID != 0 {
		if reward, err = scalar(obs[e.rewardUID]); err != nil {
			return 0, false, false, e.wrap("step", fmt.Errorf("reward %v", err))
		}
	}
	discount := 0.0
	if e.discUID != 0 {
		if discount, err = scalar(obs[e.discUID]); err != nil {
			return 0, false, false, e.wrap("step", fmt.Errorf("discount %v", err))
		}
	}
	switch st.GetState() {
	case pb.EnvironmentStateType_RUNNING:
	case pb.EnvironmentStateType_TERMINATED:
		terminated = discount == 0
		truncated = !terminated
	case pb.EnvironmentStateType_INTERRUPTED:
		truncated = true
	default:
		return 0, false, false, e.wrap("step", fmt.Errorf("the server sent state %v", st.GetState()))
	}
	e.ended = terminated || truncated
	return reward, terminated, truncated, nil
}

// Close leaves and destroys the world and closes the stream (and the
// connection, if Dial made it). It reports the first error.
func (e *Env) Close() error {
	var errs []error
	if e.err == nil && e.stream != nil {
		if e.joined {
			if _, err := e.call(&pb.EnvironmentRequest{Payload: &pb.EnvironmentRequest_LeaveWorld{LeaveWorld: &pb.LeaveWorldRequest{}}}); err != nil {
				errs = append(errs, err)
			}
			e.joined = false
		}
		if e.world != "" && len(errs) == 0 {
			if _, err := e.call(&pb.EnvironmentRequest{Payload: &pb.EnvironmentRequest_DestroyWorld{DestroyWorld: &pb.DestroyWorldRequest{WorldName: e.world}}}); err != nil {
				errs = append(errs, err)
			}
		}
		e.stream.CloseSend()
	}
	if e.err == nil {
		e.err = fmt.Errorf("remote env %s at %s: closed", e.cfg.World, e.cfg.Addr)
	}
	if e.cancel != nil {
		e.cancel(nil)
	}
	if e.ownConn {
		e.conn.Close()
	}
	return errors.Join(errs...)
}

// String names the env, e.g. "remote CartPole-v1 at 127.0.0.1:50051".
func (e *Env) String() string {
	return "remote " + strings.TrimSpace(e.cfg.World) + " at " + e.cfg.Addr
}
