#!/usr/bin/env python3
"""Serve Gymnasium-style environments over dm_env_rpc v1 (DeepMind's protocol).

deepq's remote env (env/remote) trains on whatever this serves:

    python3 scripts/dm_env_rpc_server.py --port 50051          # needs gymnasium
    deepq train --env remote:addr=127.0.0.1:50051,world=CartPole-v1

Needs Debian's python3-grpcio and python3-protobuf only (the message stubs
are generated into scripts/dm_env_rpc_pb/ by internal/dmenvrpc/generate.sh);
gymnasium.make(id) builds the envs when Gymnasium is installed. Any object
with Gymnasium's interface can be served instead, by a script that calls
main(make_env) with its own make_env(env_id, **settings) (as
env/remote/testdata/cartpole_server.py does):

    reset(seed=None, options=None) -> (observation, info)
    step(action) -> (observation, reward, terminated, truncated, info)
    observation_space: a Box (shape, dtype, low, high) or a Discrete (n)
    action_space: a Discrete (n, optional start)

The protocol as served here:

  CreateWorld  settings: "env" (string, the id for make_env; defaults to
               --env), any others go to make_env as keyword arguments.
               Returns a new world name; each world is one env instance.
  JoinWorld    joins this stream's agent to a world (one agent per world).
               Specs: action uid 1 "action", a scalar INT64 in
               [start, start+n-1]; observation uids 1 "observation" (the
               Box's shape, dtype and bounds, or a Discrete's INT64
               scalar in [start, start+n-1]), 2 "reward" (DOUBLE scalar),
               3 "discount" (DOUBLE scalar in [0, 1]).
  Reset        settings: "seed" (an integer scalar) becomes reset(seed=...);
               any others are passed as reset's options, e.g. a test env's
               "state". The next Step starts the episode.
  Step         if a new episode is due (after JoinWorld, Reset, or an episode
               end) the action is ignored, env.reset runs and the state is
               RUNNING with reward 0 and discount 1; otherwise env.step runs
               and the state is TERMINATED (discount 0) if terminated,
               INTERRUPTED (discount 1) if only truncated, else RUNNING.
               Seeding follows Gymnasium: a seed given to one Reset seeds
               that episode, later episodes continue the same generator.
  LeaveWorld, DestroyWorld; a stream that ends leaves its world and
               destroys the worlds it created.

Any failure (an unknown env id, a bad setting, an exception in the env) is
answered with an error Status whose message says what went wrong; the stream
stays open. On start the server prints "listening on HOST:PORT" and flushes,
so a caller that passed --port 0 learns the port the system chose.

One process steps one request at a time (asyncio; the GIL would serialise
threads anyway), at 140 to 250 µs of CPU a step, mostly gRPC's. --processes K
runs K processes on the port; the kernel spreads connections over them, so
a client needs K or more connections (remote.Config.Connections) to use them.
"""

import argparse
import asyncio
import itertools
import multiprocessing
import os
import signal
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "dm_env_rpc_pb"))

import grpc  # noqa: E402
from dm_env_rpc.v1 import dm_env_rpc_pb2 as pb  # noqa: E402

ACTION_UID = 1
OBSERVATION_UID, REWARD_UID, DISCOUNT_UID = 1, 2, 3

# google.rpc.Code values.
INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, INTERNAL = 3, 5, 9, 13


class RequestError(Exception):
    """A request that cannot be served; code is a google.rpc.Code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Discrete:
    """The action space {start, ..., start+n-1}, as Gymnasium's Discrete."""

    def __init__(self, n, start=0):
        self.n, self.start = n, start


class Box:
    """An array space with per-element bounds, as Gymnasium's Box (no numpy)."""

    def __init__(self, low, high, shape, dtype="float32"):
        self.low, self.high, self.shape, self.dtype = low, high, tuple(shape), dtype


# dtype name -> (DataType, the payload field of Tensor and TensorSpec.Value).
_DTYPES = {
    "float32": (pb.FLOAT, "floats"),
    "float64": (pb.DOUBLE, "doubles"),
    "int8": (pb.INT8, "int8s"),
    "int32": (pb.INT32, "int32s"),
    "int64": (pb.INT64, "int64s"),
    "uint8": (pb.UINT8, "uint8s"),
    "uint32": (pb.UINT32, "uint32s"),
    "uint64": (pb.UINT64, "uint64s"),
    "bool": (pb.BOOL, "bools"),
}


def _flat(x):
    """The elements of a (nested) sequence or numpy array, row-major, as a list."""
    if hasattr(x, "ravel"):
        return x.ravel().tolist()
    if isinstance(x, (list, tuple)):
        if not any(isinstance(v, (list, tuple)) or hasattr(v, "ravel") for v in x):
            return [v.item() if hasattr(v, "item") else v for v in x]  # flat already
        out = []
        for v in x:
            out.extend(_flat(v))
        return out
    if hasattr(x, "item"):  # a numpy scalar
        return [x.item()]
    return [x]


def _dtype_name(dtype):
    name = getattr(dtype, "name", None) or str(dtype)
    if name not in _DTYPES:
        raise RequestError(INVALID_ARGUMENT, f"observation dtype {name} is not one dm_env_rpc can carry (want one of {', '.join(_DTYPES)})")
    return name


def pack(values, dtype, shape=None, t=None):
    """A Tensor (or TensorSpec.Value, t) of values (a scalar, nested lists or a
    numpy array) as dtype."""
    name = _dtype_name(dtype)
    _, field = _DTYPES[name]
    if t is None:
        t = pb.Tensor()
    if name == "uint8" and hasattr(values, "tobytes"):
        t.uint8s.array = values.astype("uint8", copy=False).tobytes()
    else:
        flat = _flat(values)
        if name == "uint8":
            t.uint8s.array = bytes(flat)
        elif name == "int8":
            t.int8s.array = struct.pack(f"{len(flat)}b", *flat)
        else:
            getattr(t, field).array.extend(flat)
    if shape:
        t.shape.extend(shape)
    return t


def unpack(t):
    """A settings Tensor as a Python scalar (no shape, one element) or flat list."""
    which = t.WhichOneof("payload")
    if which is None:
        raise RequestError(INVALID_ARGUMENT, "a setting's Tensor has no payload")
    arr = getattr(t, which).array
    if which == "int8s":
        vals = list(struct.unpack(f"{len(arr)}b", arr))
    else:
        vals = list(arr)
    if not t.shape and len(vals) == 1:
        return vals[0]
    return vals


def specs_of(env):
    """The ActionObservationSpecs of a Gymnasium-style env."""
    a = env.action_space
    if not hasattr(a, "n"):
        raise RequestError(INVALID_ARGUMENT, f"action space {a} is not Discrete: dm_env_rpc serving here needs discrete actions")
    start = int(getattr(a, "start", 0))
    specs = pb.ActionObservationSpecs()
    act = specs.actions[ACTION_UID]
    act.name, act.dtype = "action", pb.INT64
    act.min.int64s.array.append(start)
    act.max.int64s.array.append(start + int(a.n) - 1)

    o = env.observation_space
    obs = specs.observations[OBSERVATION_UID]
    obs.name = "observation"
    if hasattr(o, "n") and not hasattr(o, "low"):
        # A Discrete observation (FrozenLake, Taxi): an INT64 scalar.
        first = int(getattr(o, "start", 0))
        obs.dtype = pb.INT64
        obs.min.int64s.array.append(first)
        obs.max.int64s.array.append(first + int(o.n) - 1)
    else:
        if not hasattr(o, "shape") or not hasattr(o, "dtype") or o.shape is None:
            raise RequestError(INVALID_ARGUMENT, f"observation space {o} is not a Box or Discrete: this server sends one array")
        name = _dtype_name(o.dtype)
        obs.dtype = _DTYPES[name][0]
        obs.shape.extend(int(d) for d in o.shape)
        if name != "bool":
            # One bound for all elements when they agree, else one per element.
            for bound, value in ((o.low, obs.min), (o.high, obs.max)):
                flat = _flat(bound)
                pack(flat[:1] if len(set(flat)) == 1 else flat, name, t=value)
    for uid, n in ((REWARD_UID, "reward"), (DISCOUNT_UID, "discount")):
        s = specs.observations[uid]
        s.name, s.dtype = n, pb.DOUBLE
    specs.observations[DISCOUNT_UID].min.doubles.array.append(0.0)
    specs.observations[DISCOUNT_UID].max.doubles.array.append(1.0)
    return specs


def gymnasium_make(env_id, **kwargs):
    """gymnasium.make(env_id, **kwargs), or an error saying Gymnasium is missing."""
    try:
        import gymnasium
    except ImportError:
        raise RequestError(FAILED_PRECONDITION, f"cannot make {env_id!r}: Gymnasium is not installed on the server (pip install gymnasium), and no other env factory was given")
    try:
        return gymnasium.make(env_id, **kwargs)
    except gymnasium.error.Error as e:
        raise RequestError(NOT_FOUND, f"gymnasium.make({env_id!r}): {e}")


class _World:
    def __init__(self, env, env_id):
        self.env, self.env_id = env, env_id
        self.joined = False
        self.specs = specs_of(env)
        # What every step needs, read from the specs once.
        act = self.specs.actions[ACTION_UID]
        self.action_range = act.min.int64s.array[0], act.max.int64s.array[0]
        obs = self.specs.observations[OBSERVATION_UID]
        self.obs_dtype = "int64" if obs.dtype == pb.INT64 else env.observation_space.dtype
        self.obs_shape = list(obs.shape)


class Environment:
    """The dm_env_rpc Environment service: one _Connection per stream."""

    def __init__(self, make_env=gymnasium_make, default_env=None):
        self.make_env, self.default_env = make_env, default_env
        self.worlds, self.lock, self.ids = {}, threading.Lock(), itertools.count()

    async def Process(self, requests, context):
        conn = _Connection(self)
        try:
            async for req in requests:
                yield conn.handle(req)
        finally:
            conn.close()


class _Connection:
    def __init__(self, server):
        self.server = server
        self.world_name, self.world = None, None
        self.new_episode, self.reset_settings = True, {}
        self.created = set()  # names of the worlds this stream created

    def handle(self, req):
        kind = req.WhichOneof("payload")
        resp = pb.EnvironmentResponse()
        try:
            handler = getattr(self, "_" + str(kind), None)
            if handler is None:
                raise RequestError(INVALID_ARGUMENT, f"this server does not support {kind} requests")
            out = getattr(resp, kind)
            handler(getattr(req, kind), out)
            out.SetInParent()  # an empty answer (LeaveWorldResponse) still marks its kind
        except RequestError as e:
            resp.error.code, resp.error.message = e.code, str(e)
        except Exception as e:  # the env's own failure: report it, keep serving
            resp.error.code, resp.error.message = INTERNAL, f"{type(e).__name__}: {e}"
        return resp

    def _create_world(self, req, resp):
        settings = {k: unpack(v) for k, v in req.settings.items()}
        env_id = settings.pop("env", self.server.default_env)
        if not isinstance(env_id, str) or not env_id:
            raise RequestError(INVALID_ARGUMENT, "CreateWorld needs an \"env\" setting naming the env (a string), or a server started with --env")
        world = _World(self.server.make_env(env_id, **settings), env_id)
        with self.server.lock:
            name = f"{env_id}/{next(self.server.ids)}"
            self.server.worlds[name] = world
        self.created.add(name)
        resp.world_name = name

    def _join_world(self, req, resp):
        if self.world is not None:
            raise RequestError(FAILED_PRECONDITION, f"already joined to world {self.world_name}: leave it first")
        if req.settings:
            raise RequestError(INVALID_ARGUMENT, f"JoinWorld takes no settings here, got {sorted(req.settings)}")
        with self.server.lock:
            world = self.server.worlds.get(req.world_name)
            if world is None:
                raise RequestError(NOT_FOUND, f"no world named {req.world_name!r} (worlds: {sorted(self.server.worlds)})")
            if world.joined:
                raise RequestError(FAILED_PRECONDITION, f"world {req.world_name!r} has an agent already")
            world.joined = True
        self.world_name, self.world = req.world_name, world
        self.new_episode, self.reset_settings = True, {}
        resp.specs.CopyFrom(world.specs)

    def _joined(self):
        if self.world is None:
            raise RequestError(FAILED_PRECONDITION, "not joined to a world: send JoinWorld first")
        return self.world

    def _reset(self, req, resp):
        world = self._joined()
        settings = {k: unpack(v) for k, v in req.settings.items()}
        if "seed" in settings and not isinstance(settings["seed"], int):
            raise RequestError(INVALID_ARGUMENT, f"reset setting seed must be an integer scalar, got {settings['seed']!r}")
        self.new_episode, self.reset_settings = True, settings
        resp.specs.CopyFrom(world.specs)

    def _step(self, req, resp):
        world = self._joined()
        env = world.env
        if self.new_episode:
            options = dict(self.reset_settings)
            seed = options.pop("seed", None)
            self.reset_settings = {}
            obs, _ = env.reset(seed=seed, options=options or None)
            state, reward, discount = pb.RUNNING, 0.0, 1.0
            self.new_episode = False
        else:
            if ACTION_UID not in req.actions:
                raise RequestError(INVALID_ARGUMENT, f"StepRequest has no action (uid {ACTION_UID})")
            action = unpack(req.actions[ACTION_UID])
            lo, hi = world.action_range
            if not isinstance(action, int) or not lo <= action <= hi:
                raise RequestError(INVALID_ARGUMENT, f"action {action!r} is not an integer in [{lo}, {hi}]")
            obs, reward, terminated, truncated, _ = env.step(action)
            if terminated:
                state, discount = pb.TERMINATED, 0.0
            elif truncated:
                state, discount = pb.INTERRUPTED, 1.0
            else:
                state, discount = pb.RUNNING, 1.0
            self.new_episode = state != pb.RUNNING
        resp.state = state
        for uid in req.requested_observations:
            if uid == OBSERVATION_UID:
                pack(obs, world.obs_dtype, world.obs_shape, t=resp.observations[uid])
            elif uid == REWARD_UID:
                resp.observations[uid].doubles.array.append(float(reward))
            elif uid == DISCOUNT_UID:
                resp.observations[uid].doubles.array.append(discount)
            else:
                raise RequestError(INVALID_ARGUMENT, f"no observation with uid {uid} (uids: 1 observation, 2 reward, 3 discount)")

    def _leave_world(self, req, resp):
        self.leave()

    def _destroy_world(self, req, resp):
        with self.server.lock:
            world = self.server.worlds.get(req.world_name)
            if world is None:
                raise RequestError(NOT_FOUND, f"no world named {req.world_name!r}")
            if world.joined:
                raise RequestError(FAILED_PRECONDITION, f"world {req.world_name!r} still has an agent: leave it first")
            del self.server.worlds[req.world_name]
        self.created.discard(req.world_name)
        close = getattr(world.env, "close", None)
        if close is not None:
            close()

    def close(self):
        """Leaves, and destroys the worlds this stream created and did not
        destroy: a client that vanished leaves nothing behind."""
        self.leave()
        for name in sorted(self.created):
            with self.server.lock:
                world = self.server.worlds.get(name)
                if world is None or world.joined:
                    continue
                del self.server.worlds[name]
            close = getattr(world.env, "close", None)
            if close is not None:
                close()

    def leave(self):
        if self.world is not None:
            with self.server.lock:
                self.world.joined = False
            self.world_name, self.world = None, None


async def serve(make_env=gymnasium_make, host="127.0.0.1", port=0, default_env=None, max_streams=1024, reuse_port=False):
    """Starts a server on host:port (0: a free port) and returns it and its port.

    reuse_port lets other processes listen on the same port (SO_REUSEPORT);
    without it a port in use is an error.

    The server runs on asyncio (grpc.aio): requests of all streams are handled
    one at a time on the event loop, as the GIL would serialise them anyway,
    without the thread hand-offs of grpc's threaded server (half its latency).
    """
    service = Environment(make_env, default_env)
    handler = grpc.method_handlers_generic_handler("dm_env_rpc.v1.Environment", {
        "Process": grpc.stream_stream_rpc_method_handler(
            service.Process,
            request_deserializer=pb.EnvironmentRequest.FromString,
            response_serializer=pb.EnvironmentResponse.SerializeToString),
    })
    server = grpc.aio.server(maximum_concurrent_rpcs=max_streams, options=[("grpc.so_reuseport", int(reuse_port))])
    server.add_generic_rpc_handlers((handler,))
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as e:  # grpc's "Failed to bind": in use, or no such address
        raise SystemExit(f"dm_env_rpc_server: cannot listen on {host}:{port} (in use?): {e}")
    if bound == 0:
        raise SystemExit(f"dm_env_rpc_server: cannot listen on {host}:{port}")
    await server.start()
    return server, bound


def _die_with_parent():
    """Asks Linux to kill this process when its parent dies (PR_SET_PDEATHSIG),
    so that worker processes never outlive a killed server."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker(make_env, host, port, default_env, max_streams, parent, ready):
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before prctl
        return

    async def run():
        try:
            server, _ = await serve(make_env, host, port, default_env, max_streams, reuse_port=True)
        except BaseException as e:
            ready.put(f"{type(e).__name__}: {e}")
            raise
        ready.put(None)
        await server.wait_for_termination()

    asyncio.run(run())


def main(make_env=gymnasium_make, argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port; the chosen one is printed)")
    ap.add_argument("--env", default=None, help="env id of worlds created without an \"env\" setting")
    ap.add_argument("--max-streams", type=int, default=1024, help="most streams (remote envs) served at once, per process (an evaluation of 100 episodes opens 100)")
    ap.add_argument("--processes", type=int, default=1,
                    help="server processes sharing the port (SO_REUSEPORT): the kernel spreads connections, not streams, "
                         "over them, so a client steps envs in parallel only over several connections")
    args = ap.parse_args(argv)
    if args.processes < 1:
        ap.error(f"--processes {args.processes}: want 1 or more")

    if args.processes == 1:
        async def run():
            server, port = await serve(make_env, args.host, args.port, args.env, args.max_streams)
            print(f"listening on {args.host}:{port}", flush=True)
            await server.wait_for_termination()

        asyncio.run(run())
        return

    # Several processes: fix the port first (a bound, not listening, socket
    # holds it), then each worker listens on it with SO_REUSEPORT, which gRPC
    # sets by default on Linux.
    port, hold = args.port, None
    if port == 0:
        hold = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
        hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        hold.bind((args.host, 0))
        port = hold.getsockname()[1]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # exit cleanly, ending the workers
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(make_env, args.host, port, args.env, args.max_streams, os.getpid(), ready), daemon=True)
             for _ in range(args.processes)]
    for p in procs:
        p.start()
    for _ in procs:
        err = ready.get(timeout=120)
        if err is not None:
            raise SystemExit(f"dm_env_rpc_server: a worker process failed to start: {err}")
    if hold is not None:
        hold.close()
    print(f"listening on {args.host}:{port} ({args.processes} processes)", flush=True)
    for p in procs:
        p.join()


if __name__ == "__main__":
    main()
