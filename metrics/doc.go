// Package metrics exports a training run as Prometheus metrics.
//
// An Observer watches an agent.Trainer and records, through client_golang
// and the prometheus.Registerer it is given (only a main package should use
// the global one), everything a practitioner looks at while DQN trains:
//
//	counters    deepq_env_steps_total, deepq_episodes_total{outcome},
//	            deepq_updates_total, deepq_target_updates_total,
//	            deepq_evaluations_total
//	histograms  deepq_episode_return, deepq_episode_length (buckets from the
//	            env's reward range and time limit), deepq_update_duration_seconds,
//	            deepq_env_step_duration_seconds
//	gauges      deepq_episode_{return,length}_{last,mean100}, deepq_loss,
//	            deepq_q_value_{mean,max}, deepq_td_error_mean_abs,
//	            deepq_grad_norm, deepq_dead_relu_ratio, deepq_learning_rate,
//	            deepq_epsilon, deepq_replay_{size,capacity},
//	            deepq_eval_return_{mean,std,best}, deepq_env_steps_planned,
//	            deepq_run_info{preset,seed,version}
//
// Every metric carries the const labels env and run; none has a label of
// high cardinality. With Config.Runtime the Go runtime and process collectors
// (go_*, process_*) are registered too, with the same two labels.
//
// The trainer calls the observer on its own goroutine and a scrape reads it
// on another. Each value is one atomic word, so recording costs an atomic
// add or store and a scrape never blocks the learner. Gauges appear once they
// have a value: no misleading 0 for the loss before learning starts.
//
// Server serves the metrics on /metrics with /healthz beside it:
//
//	reg := prometheus.NewRegistry()
//	cfg := metrics.DefaultConfig("cartpole", spec)
//	cfg.Run = "cartpole-s1"
//	obs, err := metrics.New(reg, cfg)
//	...
//	srv, err := metrics.Listen("127.0.0.1:2112", reg)
//	...
//	defer srv.Close(context.Background())
//	tr, err := agent.NewTrainer(agentCfg, obs)
//
// The dashboards directory of the repository holds a Grafana dashboard,
// Prometheus alert rules and a scrape configuration for these metrics.
package metrics
