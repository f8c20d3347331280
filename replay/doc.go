// Package replay holds the experience replay memory of off-policy learners:
// uniform or prioritized, one-step or n-step, storing each observation frame
// once.
//
// # Storage
//
// A Buffer is a ring of Capacity observation slots in flat arrays allocated
// once by New (MemoryBytes tells how much beforehand); Add, Sample and
// UpdatePriorities allocate nothing. An episode of T steps takes T+1
// consecutive slots, s₀ … s_T: each step's slot holds the observation it was
// taken from, its action and reward, and s′ is simply the next slot, so next
// observations cost no second copy, and the final observation s_T is kept
// (a truncated episode bootstraps from it). Frames are stored as float32,
// uint8 or single bits, or rounded to float16 or bfloat16 in half float32's
// memory (Config.Storage); with frame stacking (K > 1) only the
// newest frame of each observation is stored and stacks are rebuilt when
// sampling, padded at an episode's start with its first frame as a
// frame-stack wrapper pads them. An 84×84 Atari frame stacked 4 thus costs
// 7,056 bytes plus 10 bytes of scalars per transition, and 10⁶ of them 7.07 GB.
//
// # Sampling
//
// Sample fills a caller's Batch from the caller's *rand.Rand, so the same seed
// gives the same batches. A transition at step t is sampled with its n-step
// return, cut short where the episode ended:
//
//	R = Σₖ₌₀^{m−1} γᵏ r_{t+k},  m = min(n, steps left in the episode)
//	Discount = 0 if the episode terminated within m steps, else γᵐ
//	y = R + Discount · max_a′ Q_target(s_{t+m}, a′)
//
// A time-limit truncation is not a terminal state: the return bootstraps
// from the final observation. Only transitions whose data is complete can be
// sampled: not those whose n-step window the agent has not finished, nor
// those whose stack reaches into slots overwritten by the ring.
//
// With Config.Prioritized, transition i is drawn with probability
// P(i) = pᵢ^α / Σₖ pₖ^α from a sum tree (stratified over the batch) and
// weighted by wᵢ = (N·P(i))^−β / maxⱼ wⱼ, the maximum taken from a min tree;
// β rises linearly to 1 over Prioritized.BetaSteps added steps. New
// transitions get the largest priority seen; UpdatePriorities sets
// pᵢ = |δᵢ| + ε from the TD errors of a sampled batch.
//
// # Use
//
// The trainer adds every environment step and samples for each gradient step:
//
//	buf, err := replay.New(cfg)
//	batch := replay.NewBatch(32, cfg.ObsSize)
//	// each step, after env.Step:
//	buf.Add(obs, action, reward, next, terminated, truncated)
//	// each gradient step:
//	buf.Sample(rng, batch)
//	... learn from batch, computing δᵢ = Q(sᵢ, aᵢ) − yᵢ ...
//	buf.UpdatePriorities(batch.Indices, δ) // does nothing on a uniform buffer
//
// With a vector env of N copies, set Config.Streams = N and add copy i's steps
// with AddStream(i, …): each copy keeps its own ring of Capacity/N slots, so
// its episodes stay contiguous, and Sample draws from all of them. (With
// env.Vector's same-step autoreset, next is FinalObs(i) when the episode
// ended, and the copy's next obs is already the new episode's first.)
//
// # Sequences
//
// Recurrent agents (R2D2, Kapturowski et al. 2019) learn from sequences: a
// SequenceBuffer cuts each stream's episodes into sequences of Length trained
// steps starting every Period steps (R2D2: 80, overlapping by 40), each
// preceded by up to BurnIn steps (40) that only warm up the recurrent state
// from the state the actor had at the sequence's first step, which is stored
// with it. A sequence cut by its episode's end is padded, and its batch rows
// carry per-step masks (Valid, Mask). Sequences are drawn with probability
// ∝ p^α, where p = η·max|δ| + (1−η)·mean|δ| over the sequence's trained
// steps (η = 0.9):
//
//	seq, _ := replay.NewSequenceBuffer(replay.DefaultSequenceConfig(obsSize, hidden))
//	seq.Add(0, replay.SequenceStep{Obs: obs, H: h, C: c, Action: a, Reward: r, Next: next, Terminated: term, Truncated: trunc})
//	batch := replay.NewSequenceBatch(32, seq.Config())
//	seq.Sample(rng, batch)
//	... run the LSTM from (batch.H, batch.C) over batch.Obs, TD errors δ (B,T) ...
//	seq.UpdatePriorities(batch.Indices, δ, batch.Mask)
//
// One goroutine may add while another samples. Save and Load write and read
// the buffer as a checksummed, streamed checkpoint file.
//
// # Disk
//
// With Config.Disk the slots live in a file, Dir/frames.dat, in segments of a
// few slots (frames and scalars) read and written whole through a cache of
// Disk.CacheBytes; the scalars and the priority trees stay in memory too, so
// the process holds MemoryBytes(cfg) whatever the capacity (a 2·10⁶-slot
// Atari buffer: 14 GB on disk, 350 MB resident). Segments are written
// copy-on-write, so Save needs no pass over the frames: it writes the changed
// segments and a small position record, and Load reopens the file at a
// record, refusing with a message naming the file if the file no longer holds
// what the record names (each segment carries its write's stamp and
// CRC-32Cs). A configuration spells the storage as a StorageSpec:
//
//	var spec replay.StorageSpec
//	err := spec.UnmarshalText([]byte("disk:/data/replay")) // keeps spec.Storage
//	cfg.Storage, cfg.Disk = spec.Storage, spec.Disk
//	buf, err := replay.New(cfg) // creates or reuses /data/replay/frames.dat
//	defer buf.Close()
//	err = buf.Load(record)      // when resuming: the file at that record's state
//	err = buf.Save(record)      // at a checkpoint: a record of kilobytes to megabytes
package replay
