/* The hyperparameter schema: the one place a key is added. Included with
 * AFT_KEY defined; do not add include guards.
 *
 * AFT_KEY(id, section, name, type, default, min, max, choices, live, help)
 * min/max apply to INT and FLOAT; choices to ENUM; live = may change mid-run. */

/* the workspace as a whole (top-level keys) */
AFT_KEY(NAME,      "", "name",  AFT_T_STRING, "", 0, 0, NULL, 0, "workspace name shown in the workbench and in run names")
AFT_KEY(RUNS_DIR,  "", "runs",  AFT_T_PATH, "runs", 0, 0, NULL, 0, "folder that holds the run directories")
AFT_KEY(THEME,     "", "theme", AFT_T_STRING, "default", 0, 0, NULL, 1, "colour theme: a name in themes/ or a YAML file")
AFT_KEY(SEED,      "", "seed",  AFT_T_INT, "42", 0, 4294967295.0, NULL, 0, "seed for initialisation, data order, dropout and splits")
AFT_KEY(THREADS,   "", "threads", AFT_T_INT, "0", 0, 256, NULL, 0, "compute threads (0 = one per core)")

/* where the data is */
AFT_KEY(DATASET,   "dataset", "path",  AFT_T_PATH, "", 0, 0, NULL, 0, "one JSONL file whose records carry a split field")
AFT_KEY(TRAIN_FILE,"dataset", "train", AFT_T_PATH, "", 0, 0, NULL, 0, "training records (JSONL), instead of dataset.path")
AFT_KEY(VALID_FILE,"dataset", "valid", AFT_T_PATH, "", 0, 0, NULL, 0, "validation records (JSONL)")
AFT_KEY(TEST_FILE, "dataset", "test",  AFT_T_PATH, "", 0, 0, NULL, 0, "test records (JSONL)")
AFT_KEY(STRICT,    "dataset", "strict", AFT_T_BOOL, "false", 0, 0, NULL, 0, "refuse a dataset with any bad line instead of skipping it")

/* model */
AFT_KEY(INIT,      "model", "init",     AFT_T_STRING, "scratch", 0, 0, NULL, 0, "'scratch' or a Hugging Face GPT-2 checkpoint folder to start from")
AFT_KEY(N_LAYER,   "model", "n_layer",  AFT_T_INT, "4", 1, 48, NULL, 0, "transformer blocks")
AFT_KEY(N_HEAD,    "model", "n_head",   AFT_T_INT, "4", 1, 64, NULL, 0, "attention heads per block (must divide d_model)")
AFT_KEY(D_MODEL,   "model", "d_model",  AFT_T_INT, "128", 8, 4096, NULL, 0, "width of the hidden state")
AFT_KEY(MAX_SEQ,   "model", "max_seq",  AFT_T_INT, "128", 8, 8192, NULL, 0, "longest token sequence; longer contexts are cut from the left")
AFT_KEY(DROPOUT,   "model", "dropout",  AFT_T_FLOAT, "0.1", 0, 0.9, NULL, 1, "dropout on embeddings and residual branches")
AFT_KEY(ATTN_DROPOUT, "model", "attn_dropout", AFT_T_FLOAT, "0.1", 0, 0.9, NULL, 1, "dropout on attention weights")
AFT_KEY(LORA_RANK, "model", "lora_rank", AFT_T_INT, "0", 0, 512, NULL, 0, "LoRA adapter rank on attention and MLP projections (0 = full fine-tuning)")
AFT_KEY(LORA_ALPHA,"model", "lora_alpha", AFT_T_FLOAT, "16", 0.001, 4096, NULL, 0, "LoRA scale numerator (scale = alpha / rank)")
AFT_KEY(FREEZE_LAYERS, "model", "freeze_layers", AFT_T_INT, "0", 0, 48, NULL, 0, "freeze the embeddings and the bottom k blocks")

/* tokenizer (part of the model section) */
AFT_KEY(TOKENIZER, "model", "tokenizer", AFT_T_PATH, "", 0, 0, NULL, 0, "tokenizer.json (or folder with encoder.json + vocab.bpe); empty = train one")
AFT_KEY(LOWERCASE, "model", "lowercase", AFT_T_BOOL, "false", 0, 0, NULL, 0, "uncased: text is lowercased before it is tokenized, so case changes read the same (kept in tokenizer.json)")
AFT_KEY(VOCAB_SIZE,"model", "vocab_size", AFT_T_INT, "4096", 256, 262144, NULL, 0, "vocabulary size when training a byte-level BPE")

/* optimizer */
AFT_KEY(OPTIMIZER, "optimizer", "optimizer", AFT_T_ENUM, "adamw", 0, 0, "adamw|sgd", 0, "update rule")
AFT_KEY(LR,        "optimizer", "lr", AFT_T_FLOAT, "3e-4", 1e-8, 10, NULL, 1, "peak learning rate")
AFT_KEY(WEIGHT_DECAY, "optimizer", "weight_decay", AFT_T_FLOAT, "0.01", 0, 1, NULL, 1, "decoupled weight decay (AdamW), not on biases or LayerNorm")
AFT_KEY(L2,        "optimizer", "l2", AFT_T_FLOAT, "0", 0, 1, NULL, 1, "L2 penalty added to the loss")
AFT_KEY(BETA1,     "optimizer", "beta1", AFT_T_FLOAT, "0.9", 0, 0.9999, NULL, 1, "Adam first-moment decay")
AFT_KEY(BETA2,     "optimizer", "beta2", AFT_T_FLOAT, "0.999", 0, 0.99999, NULL, 1, "Adam second-moment decay")
AFT_KEY(EPS,       "optimizer", "eps", AFT_T_FLOAT, "1e-8", 1e-12, 1e-3, NULL, 0, "Adam denominator epsilon")
AFT_KEY(MOMENTUM,  "optimizer", "momentum", AFT_T_FLOAT, "0.9", 0, 0.9999, NULL, 1, "SGD momentum")
AFT_KEY(GRAD_CLIP, "optimizer", "grad_clip", AFT_T_FLOAT, "1.0", 0, 1e6, NULL, 1, "clip the global gradient norm to this (0 = off)")
AFT_KEY(LAYER_LR_DECAY, "optimizer", "layer_lr_decay", AFT_T_FLOAT, "1.0", 0.01, 1, NULL, 0, "layer-wise learning rate: each block below the top gets this factor more")

/* schedule */
AFT_KEY(LR_SCHEDULE, "schedule", "lr_schedule", AFT_T_ENUM, "cosine", 0, 0, "constant|linear|cosine", 0, "learning rate after warm-up")
AFT_KEY(WARMUP_STEPS, "schedule", "warmup_steps", AFT_T_INT, "100", 0, 1e9, NULL, 0, "linear warm-up from 0 to lr")
AFT_KEY(MIN_LR_RATIO, "schedule", "min_lr_ratio", AFT_T_FLOAT, "0.1", 0, 1, NULL, 0, "floor of the decay as a fraction of lr")

/* training */
AFT_KEY(EPOCHS,    "train", "epochs", AFT_T_INT, "10", 1, 100000, NULL, 1, "passes over the training split")
AFT_KEY(MAX_STEPS, "train", "max_steps", AFT_T_INT, "0", 0, 1e12, NULL, 1, "stop after this many steps (0 = no limit)")
AFT_KEY(BATCH_SIZE,"train", "batch_size", AFT_T_INT, "32", 1, 65536, NULL, 0, "examples per optimizer step")
AFT_KEY(GRAD_ACCUM,"train", "grad_accum", AFT_T_INT, "1", 1, 1024, NULL, 0, "micro-batches accumulated per step")
AFT_KEY(CLS_WEIGHT,"train", "cls_loss_weight", AFT_T_FLOAT, "1.0", 0, 1000, NULL, 1, "weight of the action-classification loss")
AFT_KEY(LM_WEIGHT, "train", "lm_loss_weight", AFT_T_FLOAT, "0.0", 0, 1000, NULL, 1, "weight of the language-model loss")
AFT_KEY(LM_TARGET_ONLY, "train", "lm_target_only", AFT_T_BOOL, "true", 0, 0, NULL, 0, "language-model loss on the action and response only, not the context")
AFT_KEY(SAMPLING,  "train", "sampling", AFT_T_ENUM, "shuffle", 0, 0, "shuffle|curriculum|stratified", 0, "batch order: shuffled, easy to hard by complexity, or stratified by action and complexity")
AFT_KEY(CURRICULUM_PACING, "train", "curriculum_pacing", AFT_T_ENUM, "linear", 0, 0, "linear|sqrt|step", 0, "how fast harder examples join under curriculum sampling")
AFT_KEY(CURRICULUM_EPOCHS, "train", "curriculum_epochs", AFT_T_INT, "2", 1, 100000, NULL, 0, "epochs until every complexity level is in play")
AFT_KEY(OBJECTIVE, "train", "objective", AFT_T_ENUM, "supervised", 0, 0, "supervised|ppo", 0, "what a run learns from: the annotated actions, or rewards by PPO (start from a supervised checkpoint in model.init)")
AFT_KEY(START_PAUSED, "train", "start_paused", AFT_T_BOOL, "false", 0, 0, NULL, 0, "begin the run paused until 'agentft ctl RUN resume' (for scripts and tests)")

/* evaluation, checkpoints, early stopping */
AFT_KEY(EVAL_EVERY, "eval", "eval_every", AFT_T_INT, "200", 1, 1e12, NULL, 1, "validate every this many steps")
AFT_KEY(CHECKPOINT_EVERY, "eval", "checkpoint_every", AFT_T_INT, "1000", 0, 1e12, NULL, 1, "checkpoint every this many steps (0 = only best and last)")
AFT_KEY(EARLY_STOP_METRIC, "eval", "early_stop_metric", AFT_T_ENUM, "val_loss", 0, 0, "val_loss|val_accuracy|val_macro_f1|val_reward", 0, "metric watched for early stopping and the best checkpoint (val_reward: PPO's evaluation episodes)")
AFT_KEY(PATIENCE,  "eval", "patience", AFT_T_INT, "3", 0, 100000, NULL, 1, "evaluations without improvement before stopping (0 = never stop early)")
AFT_KEY(MIN_DELTA, "eval", "min_delta", AFT_T_FLOAT, "0", 0, 1e6, NULL, 1, "smallest change that counts as an improvement")
AFT_KEY(RESTORE_BEST, "eval", "restore_best", AFT_T_BOOL, "false", 0, 0, NULL, 1, "end the run with the weights of the best checkpoint")
AFT_KEY(REJECT_ACTION, "eval", "reject_action", AFT_T_STRING, "", 0, 0, NULL, 1, "action predicted instead when the model is unsure (e.g. out_of_scope); empty = never")
AFT_KEY(REJECT_BELOW, "eval", "reject_below", AFT_T_FLOAT, "0", 0, 1, NULL, 1, "top probability under which a prediction becomes eval.reject_action (reject_score probability)")
AFT_KEY(REJECT_SCORE, "eval", "reject_score", AFT_T_ENUM, "probability", 0, 0, "probability|energy", 0, "how sure the model is: the top probability, or the energy (log-sum-exp of the logits; needs reject_keep), which separates unknown requests better")
AFT_KEY(REJECT_KEEP, "eval", "reject_keep", AFT_T_FLOAT, "0", 0, 1, NULL, 1, "calibrate the threshold at each validation so this fraction of valid examples of other actions keeps its prediction (e.g. 0.95); saved with the checkpoint; 0 = use reject_below")

/* reinforcement fine-tuning (train.objective: ppo); a step of such a run is
 * one update: a rollout of episodes, then ppo_epochs passes over it. The
 * optimizer's lr, grad_clip and schedule apply per update. */
AFT_KEY(PPO_UPDATES, "ppo", "updates", AFT_T_INT, "100", 1, 1e9, NULL, 1, "PPO updates in the run (each a rollout, then ppo_epochs passes over it)")
AFT_KEY(PPO_EPISODES, "ppo", "rollout_episodes", AFT_T_INT, "64", 1, 65536, NULL, 1, "episodes collected per update, starting from training records drawn at random")
AFT_KEY(PPO_EPISODE_STEPS, "ppo", "episode_steps", AFT_T_INT, "1", 1, 1000, NULL, 1, "most decisions in an episode (an environment ends one earlier with done; reward rules take one)")
AFT_KEY(PPO_EPOCHS, "ppo", "ppo_epochs", AFT_T_INT, "4", 1, 1000, NULL, 1, "passes over each rollout")
AFT_KEY(PPO_MINIBATCH, "ppo", "minibatch_size", AFT_T_INT, "16", 1, 65536, NULL, 1, "decisions per optimizer step")
AFT_KEY(PPO_CLIP, "ppo", "clip_ratio", AFT_T_FLOAT, "0.2", 0.001, 10, NULL, 1, "clip epsilon: the probability ratio counts only within 1 +- this")
AFT_KEY(PPO_GAMMA, "ppo", "gamma", AFT_T_FLOAT, "0.99", 0, 1, NULL, 1, "discount between the steps of an episode")
AFT_KEY(PPO_LAMBDA, "ppo", "gae_lambda", AFT_T_FLOAT, "0.95", 0, 1, NULL, 1, "generalised advantage estimation lambda")
AFT_KEY(PPO_KL_COEF, "ppo", "kl_coef", AFT_T_FLOAT, "0.05", 0, 1000, NULL, 1, "weight of the KL divergence to the reference (starting) policy; the start value when kl_target is set")
AFT_KEY(PPO_KL_TARGET, "ppo", "kl_target", AFT_T_FLOAT, "0", 0, 100, NULL, 1, "adapt kl_coef after each update to keep the KL near this (0 = a fixed kl_coef)")
AFT_KEY(PPO_ENTROPY, "ppo", "entropy_coef", AFT_T_FLOAT, "0.01", 0, 100, NULL, 1, "weight of the entropy bonus")
AFT_KEY(PPO_VALUE_COEF, "ppo", "value_coef", AFT_T_FLOAT, "0.5", 0, 1000, NULL, 1, "weight of the value-head loss")
AFT_KEY(PPO_VALUE_CLIP, "ppo", "value_clip", AFT_T_FLOAT, "0.2", 0, 1e6, NULL, 1, "the value loss counts a value change of at most this per update (0 = off)")
AFT_KEY(PPO_NORM_ADV, "ppo", "normalize_advantages", AFT_T_BOOL, "true", 0, 0, NULL, 1, "scale each rollout's advantages to mean 0 and deviation 1")
AFT_KEY(PPO_EVAL_EPISODES, "ppo", "eval_episodes", AFT_T_INT, "64", 0, 1e6, NULL, 1, "greedy episodes at each evaluation: the first valid records (train ones without a valid split; 0 = none)")

/* where PPO's rewards come from: an environment program, or else the rules */
AFT_KEY(REWARD_ENV, "reward", "env", AFT_T_STRING, "", 0, 0, NULL, 0, "environment program speaking the reward protocol (split on blanks into an argv, no shell); empty = the rules below")
AFT_KEY(REWARD_TIMEOUT_MS, "reward", "env_timeout_ms", AFT_T_INT, "5000", 1, 3600000, NULL, 1, "milliseconds the environment may take to answer")
AFT_KEY(REWARD_TIMEOUT, "reward", "timeout_reward", AFT_T_FLOAT, "-0.5", -1e6, 1e6, NULL, 1, "reward of a late (or failed) answer; the episode ends there")
AFT_KEY(REWARD_MAX_FAILURES, "reward", "env_max_failures", AFT_T_INT, "3", 1, 1e6, NULL, 1, "environment failures in a row (crash, closed pipe, garbage) that stop the run with an error")
AFT_KEY(REWARD_CORRECT, "reward", "correct_reward", AFT_T_FLOAT, "1", -1e6, 1e6, NULL, 1, "rules: reward for the annotated action")
AFT_KEY(REWARD_WRONG, "reward", "wrong_reward", AFT_T_FLOAT, "-1", -1e6, 1e6, NULL, 1, "rules: reward for any other action")
AFT_KEY(REWARD_PER_ACTION, "reward", "action_rewards", AFT_T_STRING, "", 0, 0, NULL, 1, "rules: rewards for choosing these actions wrongly, instead of wrong_reward (e.g. escalate=-0.2,noop=-0.5)")
AFT_KEY(REWARD_CONF_BELOW, "reward", "confidence_below", AFT_T_FLOAT, "0", 0, 1, NULL, 1, "a choice the policy made with a probability under this is penalised (0 = never)")
AFT_KEY(REWARD_CONF_PENALTY, "reward", "confidence_penalty", AFT_T_FLOAT, "0", 0, 1e6, NULL, 1, "subtracted from the reward of such a low-confidence choice")

/* splits made by `agentft data split` */
AFT_KEY(SPLIT_VALID, "split", "valid_fraction", AFT_T_FLOAT, "0.1", 0, 0.9, NULL, 0, "share of records for validation")
AFT_KEY(SPLIT_TEST,  "split", "test_fraction", AFT_T_FLOAT, "0.1", 0, 0.9, NULL, 0, "share of records for test")

/* data augmentation by `agentft data augment` (back-translation commands are
 * split on blanks into an argv, '...' and "..." quote; no shell is involved) */
AFT_KEY(AUG_METHODS, "augment", "methods", AFT_T_STRING, "synonym,eda", 0, 0, NULL, 0, "augmentation methods, comma-separated: synonym, eda, backtranslate, typo")
AFT_KEY(AUG_PER_RECORD, "augment", "per_record", AFT_T_INT, "1", 1, 1000, NULL, 0, "variants tried per training record, the methods taking turns")
AFT_KEY(AUG_SYNONYM_RATE, "augment", "synonym_rate", AFT_T_FLOAT, "0.1", 0, 1, NULL, 0, "share of the words replaced by a synonym (at least one)")
AFT_KEY(AUG_INSERT_RATE, "augment", "insert_rate", AFT_T_FLOAT, "0.1", 0, 1, NULL, 0, "EDA: synonyms inserted, as a share of the words (0 = never)")
AFT_KEY(AUG_SWAP_RATE, "augment", "swap_rate", AFT_T_FLOAT, "0.1", 0, 1, NULL, 0, "EDA: word swaps, as a share of the words (0 = never)")
AFT_KEY(AUG_DELETE_RATE, "augment", "delete_rate", AFT_T_FLOAT, "0.1", 0, 1, NULL, 0, "EDA: chance that each word is deleted (0 = never)")
AFT_KEY(AUG_TYPO_RATE, "augment", "typo_rate", AFT_T_FLOAT, "0.05", 0, 1, NULL, 0, "typo: chance that each character is mistyped (swapped, dropped, doubled or a keyboard neighbour)")
AFT_KEY(AUG_SYNONYMS, "augment", "synonyms", AFT_T_PATH, "", 0, 0, NULL, 0, "your synonyms: TSV (word<TAB>synonym...) or YAML ({word: [synonyms]})")
AFT_KEY(AUG_WORDNET, "augment", "wordnet", AFT_T_PATH, "", 0, 0, NULL, 0, "WordNet database folder (empty = /usr/share/wordnet, from wordnet-base)")
AFT_KEY(AUG_TRANSLATOR, "augment", "translator", AFT_T_STRING, "", 0, 0, NULL, 0, "command that translates into the pivot language (JSON lines, see agentft(1))")
AFT_KEY(AUG_BACK_TRANSLATOR, "augment", "back_translator", AFT_T_STRING, "", 0, 0, NULL, 0, "command that translates back (empty = the translator process)")
AFT_KEY(AUG_PIVOT, "augment", "pivot", AFT_T_STRING, "fr", 0, 0, NULL, 0, "language sent as \"to\" on the way there")
AFT_KEY(AUG_LANGUAGE, "augment", "language", AFT_T_STRING, "en", 0, 0, NULL, 0, "language of the records, sent as \"to\" on the way back")
AFT_KEY(AUG_TIMEOUT, "augment", "translate_timeout_ms", AFT_T_INT, "30000", 1, 3600000, NULL, 0, "milliseconds a translator may take to answer a request")
AFT_KEY(AUG_INFLIGHT, "augment", "translate_inflight", AFT_T_INT, "8", 1, 4096, NULL, 0, "requests sent to a translator before it has answered them")
