/* agentft's entry point: global options and dispatch to the subcommands of
 * the table below, which also generates --help and `agentft help CMD`. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentft/blas.h"
#include "agentft/dist.h"
#include "config.h"
#include "cli.h"

static int cmd_help(int argc, char **argv);

const cli_command cli_commands[] = {
    {"open", "WS [--run RUN] [--theme NAME] [--mouse] [--set KEY=VALUE]...",
     "open the workbench: dataset, annotation, hyperparameters, charts, log",
     "Opens the ncurses workbench on a workspace: the dataset as a list with\n"
     "filters, the annotation editor (every edit is journalled at once), the\n"
     "hyperparameter form (live keys go to a running run), the charts of a run\n"
     "and the log. ? or F1 inside lists every key. 'agentft' with no command opens\n"
     "the bundled example.\n"
     "  --run RUN       the run to chart: a name in the runs folder or a run\n"
     "                  directory (default: the newest run)\n"
     "  --theme NAME    a theme in themes/ (dark, light, high-contrast, mono) or a\n"
     "                  YAML file (default: the workspace's theme key)\n"
     "  --mouse         start with the mouse on (m toggles it)\n"
     "  --keys-man      print the key table as man-page source (for agentft(1))\n",
     cmd_open},
    {"watch", "RUN [--theme NAME] [--mouse]",
     "open the workbench on a run directory: charts, report and log, live or finished",
     "Opens the workbench on a run written by another process (agentft train, a\n"
     "run left training after its workbench lost its terminal, or an MPI run),\n"
     "live or finished, from any terminal or SSH session: it follows\n"
     "RUN/metrics.jsonl, and while the run is live the run keys (F6 pause/resume,\n"
     "F7 stop, F8 checkpoint, F9 evaluate) and live hyperparameters in the form go\n"
     "to it through RUN/control.sock. The dataset is the run's (RUN/config.yaml).\n"
     "  --theme NAME    a theme in themes/ or a YAML file\n"
     "  --mouse         start with the mouse on (m toggles it)\n",
     cmd_watch},
    {"data check", "FILE|WS [--strict] [--set KEY=VALUE]...",
     "check dataset files and list every bad line as FILE:LINE:COLUMN",
     "Reads each dataset file (a JSONL file, or the files a workspace names) and\n"
     "prints every problem as FILE:LINE:COLUMN: message on stderr, then one summary\n"
     "line per file on stdout. Exits 1 if any line is bad.\n"
     "  --strict        stop at the first bad line\n",
     cmd_data_check},
    {"data stats", "FILE|WS [--json] [--set KEY=VALUE]...",
     "label counts, complexity and split counts, context-length histogram",
     "Counts records per action (with their split and complexity), per complexity\n"
     "level and per split, and draws a histogram of context lengths in words (each\n"
     "CJK character counts as a word). Records without a complexity get one from\n"
     "their context length (see agentft-formats(5)).\n"
     "  --json          print the figures as one JSON object\n",
     cmd_data_stats},
    {"data split", "FILE|WS [--valid F] [--test F] [--seed N] [--force]",
     "stratified train/valid/test split, written to each record's split field",
     "Assigns every record to train, valid or test, stratified by action and\n"
     "complexity, and saves the file (atomically, through the journal).\n"
     "  --valid F       share of records for validation (default 0.1, or split.valid_fraction)\n"
     "  --test F        share of records for test (default 0.1, or split.test_fraction)\n"
     "  --seed N        shuffle seed (default 42, or the workspace's seed)\n"
     "  --force         replace split fields that records already have\n",
     cmd_data_split},
    {"data augment", "FILE|WS [--per-record N] [--only A,B] [--methods LIST] [--out FILE] [--seed N] "
     "[--dry-run] [--set KEY=VALUE]...",
     "new training records by synonyms, EDA and back-translation",
     "Makes variants of the training records (split train, or dataset.train) and\n"
     "adds them to the training file through the journal. A variant keeps its\n"
     "source's fields but a new context (the last user turn of a dialogue), an id\n"
     "suffixed -augN, split train and \"augmented\": {\"method\", \"source_id\"}.\n"
     "Valid and test records are never augmented, and a variant whose normalised\n"
     "text equals any record's (every split) or another variant's is dropped.\n"
     "Rates, synonym files, WordNet and the translator commands are augment.* keys.\n"
     "  --per-record N  variants tried per record, methods taking turns (default 1)\n"
     "  --only A,B      augment only records with these actions (to balance rare ones)\n"
     "  --methods LIST  synonym,eda,backtranslate,typo (default augment.methods)\n"
     "  --out FILE      write the variants to a separate JSONL file instead\n"
     "  --seed N        random seed (default: the workspace's seed)\n"
     "  --dry-run       print the variants and the counts, write nothing\n",
     cmd_data_augment},
    {"config show", "WS [--set KEY=VALUE]...",
     "print the resolved config and where each value came from",
     "Prints every key of the workspace as YAML, each with a comment saying whether\n"
     "it is the default, comes from the file (FILE:LINE) or from --set.\n",
     cmd_config_show},
    {"config check", "WS [--set KEY=VALUE]...",
     "validate a workspace: keys, ranges, cross-key rules, dataset files",
     "Checks every key of the workspace against the schema, the rules between keys,\n"
     "and that the dataset files it names load. Exits 1 on any problem.\n",
     cmd_config_check},
    {"config keys", "[--man]",
     "list every hyperparameter with type, default, range and help",
     "Lists the hyperparameter schema. A key marked live may change while a run is\n"
     "going. --man prints the list as man-page source (for agentft-formats(5)).\n",
     cmd_config_keys},
    {"tokenizer train", "WS [--out PATH] [--force] [--set KEY=VALUE]...",
     "train a byte-level BPE vocabulary on the workspace's training text",
     "Trains a GPT-2-style byte-level BPE of model.vocab_size tokens (256 bytes,\n"
     "merges, and the special tokens <|endoftext|> <|pad|> <|action|> <|response|>)\n"
     "on the training records' contexts (every turn), actions, responses and\n"
     "reasoning, and writes it as a Hugging Face tokenizer.json. The training records\n"
     "are those in the train split, or all records when none carries a split.\n"
     "With model.lowercase the text is lowercased first and the file says so (an\n"
     "uncased vocabulary). Point model.tokenizer at the file to have runs use it.\n"
     "  --out PATH      where to write (default: tokenizer.json beside the workspace)\n"
     "  --force         replace an existing file\n",
     cmd_tokenizer_train},
    {"tokenizer encode", "TOKENIZER TEXT | TOKENIZER --stdin-jsonl [--specials]",
     "print the token ids of a text",
     "Loads a tokenizer (a tokenizer.json, or a folder with tokenizer.json or GPT-2's\n"
     "encoder.json + vocab.bpe) and prints the ids of TEXT on one line.\n"
     "  --stdin-jsonl   read one JSON string a line from standard input and print\n"
     "                  one line of ids for each\n"
     "  --specials      recognise special tokens such as <|endoftext|> in the text\n",
     cmd_tokenizer_encode},
    {"tokenizer convert", "TOKENIZER OUT [--force]",
     "write a tokenizer (e.g. GPT-2's encoder.json + vocab.bpe) as tokenizer.json",
     "Loads a tokenizer as 'tokenizer encode' does and writes it to OUT as a\n"
     "Hugging Face tokenizer.json.\n"
     "  --force         replace an existing file\n",
     cmd_tokenizer_convert},
    {"bench", "[--size LIST] [--steps N] [--threads N] [--json]",
     "measure GEMM peak, training-step speed, MFU, inference latency and memory",
     "Prints the OpenBLAS set-up and the machine, the measured sgemm peak (2048^3,\n"
     "best of 5), then for each model size: ms per training step (forward, backward\n"
     "and AdamW; action and LM heads; dropout 0.1; median after warm-up), tokens/s,\n"
     "GFLOP/s; batch-1 inference latency and batch-32 throughput (T=64, action head\n"
     "only); peak RSS against the memory that parameters, gradients, AdamW state and\n"
     "activations need. A closing table adds the MFU: achieved GFLOP/s over the\n"
     "better of the sgemm peaks measured at the start and at the end.\n"
     "FLOPs of a step: B*T*(6*N + 12*L*T*d + 6*V*d), N = L*(12*d^2 + 13*d) + 2*d.\n"
     "  --size LIST     tiny, small, base (GPT-2 small) or all, comma-separated\n"
     "                  (default all, skipping a size that would not fit in the\n"
     "                  available memory)\n"
     "  --steps N       training steps measured per size (default 20, 10, 3)\n"
     "  --threads N     OpenBLAS threads (default 0: one per core)\n"
     "  --json          print the figures as one JSON object\n",
     cmd_bench},
    {"ctl", "RUN set KEY VALUE | RUN pause|resume|stop|checkpoint|eval|status [--timeout S]",
     "send a command to a live run: change a hyperparameter, pause, checkpoint...",
     "Talks to the run whose run directory is RUN, through RUN/control.sock, and\n"
     "prints its answer: ok, or for status the run's figures one per line. Exits 1\n"
     "when the run refuses the command (saying why) or is not live.\n"
     "  set KEY VALUE   change a hyperparameter marked live in 'agentft config keys';\n"
     "                  VALUE goes as a number, true/false, or else as text\n"
     "  pause, resume   pause training, and go on\n"
     "  stop            stop the run\n"
     "  checkpoint      save a checkpoint now\n"
     "  eval            evaluate now\n"
     "  status          print the run's state\n"
     "  --timeout S     wait at most S seconds for the answer (default 30)\n",
     cmd_ctl},
    {"train", "WS [--run NAME] [--quiet] [--test] [--set KEY=VALUE]...",
     "train a model on the workspace's data in a new run directory",
     "Trains on the train split, validates on the valid split every eval_every steps,\n"
     "keeps checkpoints/best and checkpoints/step-N, and stops early after patience\n"
     "validations without improvement. The run goes to RUNS/NAME (config.yaml,\n"
     "metrics.jsonl, train.log, checkpoints/, control.sock while it runs; see\n"
     "agentft-formats(5)); 'agentft ctl RUN' changes it while it runs. On a terminal\n"
     "one progress line is redrawn in place; otherwise plain lines. Ctrl-C saves a\n"
     "checkpoint and stops (exit 130); a second Ctrl-C stops at once. SIGHUP is ignored.\n"
     "  --run NAME      name of the run directory (default: a timestamp)\n"
     "  --quiet         print only the run directory and the summary\n"
     "  --test          at the end, evaluate the best checkpoint on the test split\n",
     cmd_train},
    {"resume", "RUN [--check] [--quiet] [--test] [--set KEY=VALUE]...",
     "continue a run from its newest complete checkpoint",
     "Continues the run in the directory RUN from its newest complete checkpoint\n"
     "(step-N or best), skipping and reporting a corrupt one, with the same data\n"
     "order, random state and live changes, so that its metrics.jsonl ends as an\n"
     "uninterrupted run's would. --set takes live keys, threads and start_paused.\n"
     "  --check         load every checkpoint of RUN and report each; exit 1 if one\n"
     "                  is corrupt (changes nothing)\n"
     "  --quiet         print only the run directory and the summary\n"
     "  --test          at the end, evaluate the best checkpoint on the test split\n",
     cmd_resume},
    {"eval", "RUN [--data FILE] [--checkpoint best|step-N] [--seed N] [--reject-keep F] "
             "[--quick] [--no-timing] [--json] | --compare RUN_A RUN_B [--data FILE] "
             "[--checkpoint best|step-N]",
     "evaluation report of a run, or an A/B comparison of two runs",
     "Evaluates a run's checkpoint on its test split (the test file, or the records\n"
     "marked \"split\": \"test\") and writes RUN/report.json and RUN/report.md, then\n"
     "prints the Markdown: accuracy, macro/weighted F1, per-action precision, recall\n"
     "and F1, top confusions, the misclassified examples (most confident first),\n"
     "slices by complexity, context length (beyond max_seq too: such contexts are\n"
     "cut from the left) and split, calibration (ECE and a reliability table),\n"
     "latency and throughput, robustness to perturbed contexts, and generation.\n"
     "Examples whose action the model never saw are listed, not scored.\n"
     "RUN may end in :best or :step-N to pick the checkpoint.\n"
     "  --data FILE       evaluate on every record of FILE instead (a bad line is an error)\n"
     "  --checkpoint C    best (the default when the run has one) or step-N\n"
     "  --seed N          seed of the perturbations and the bootstrap (default 1)\n"
     "  --reject-keep F   with eval.reject_action: set the fallback's threshold from the\n"
     "                    run's valid split to keep F (0..1) of its other actions'\n"
     "                    examples, instead of the checkpoint's (try an operating point\n"
     "                    without training again)\n"
     "  --quick           fewer latency samples and robustness examples\n"
     "  --no-timing       leave the efficiency section out (the rest is deterministic)\n"
     "  --json            print the JSON instead of the Markdown\n"
     "  --compare A B     compare two runs (or RUN:step-N checkpoints) on the same data:\n"
     "                    accuracy difference with a bootstrap 95% interval, McNemar's\n"
     "                    test, per-action F1 changes and the disagreements; writes\n"
     "                    A/compare-<B's name>.json and .md. Without --data both runs\n"
     "                    must have the same test split\n",
     cmd_eval},
    {"export", "RUN --int8 [--checkpoint best|step-N] [--out DIR]",
     "write an INT8 copy of a run's checkpoint for fast inference",
     "Quantizes a run's checkpoint (or a checkpoint folder) to INT8 and writes it as\n"
     "a folder that 'agentft eval' opens as it opens a run: every matrix\n"
     "(attention, MLP, the action head, the embeddings) as int8 with one float scale\n"
     "per output channel, LayerNorm and biases in float32, in model.safetensors;\n"
     "config.json marked as INT8, tokenizer.json and the run's config.yaml. At run\n"
     "time the activations are quantized per row and the products run in int8 (AVX2\n"
     "where the CPU has it). LoRA adapters are merged first. An existing INT8\n"
     "export at DIR is replaced; any other folder there is an error.\n"
     "  --int8            the format (the only one so far)\n"
     "  --checkpoint C    best (the default when the run has one) or step-N\n"
     "  --out DIR         where to write (default RUN/export-int8)\n",
     cmd_export},
    {"help", "[COMMAND]", "show help for a command", "", cmd_help},
};
const size_t cli_command_count = sizeof cli_commands / sizeof cli_commands[0];

static void print_overview(FILE *out)
{
    fprintf(out,
            "usage: agentft COMMAND [ARGS]...\n"
            "       agentft --help | --version\n"
            "\n"
            "agentft is a terminal workbench for fine-tuning agent models.\n"
            "FILE is a JSONL dataset; WS is a workspace YAML file.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < cli_command_count; i++)
        fprintf(out, "  %-17s %s\n", cli_commands[i].name, cli_commands[i].summary);
    fprintf(out, "\nRun 'agentft help COMMAND' for a command's options; man agentft for more.\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc == 0) {
        print_overview(stdout);
        return CLI_OK;
    }
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
    const cli_command *c = cli_find(name);
    if (!c && argc == 1) {
        /* `agentft help data` lists the data commands. */
        size_t n = strlen(argv[0]);
        int any = 0;
        for (size_t i = 0; i < cli_command_count; i++) {
            if (strncmp(cli_commands[i].name, argv[0], n) == 0 && cli_commands[i].name[n] == ' ') {
                cli_usage(cli_commands[i].name, 0);
                any = 1;
            }
        }
        if (any)
            return CLI_OK;
    }
    if (!c) {
        fprintf(stderr, "agentft: no such command '%s'\n\n", name);
        print_overview(stderr);
        return CLI_USAGE;
    }
    cli_usage(c->name, 0);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    /* Before anything else: this may restart the program with a better
     * OpenBLAS core, which OpenBLAS only reads when it loads. */
    aft_error blas_err = {0};
    if (aft_blas_prepare(argc, argv, &blas_err) < 0)
        fprintf(stderr, "agentft: warning: %s\n", blas_err.msg);
    if (argc < 2) {
        /* In a terminal, no command opens the bundled example; piped or
         * redirected, the overview is printed as before. */
        if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
            int rc = cli_open_default();
            if (rc >= 0)
                return rc;
            fprintf(stderr, "agentft: the bundled example was not found; "
                            "run 'agentft open WS.yaml'\n\n");
        }
        print_overview(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_overview(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("agentft %s\n", PACKAGE_VERSION);
        printf("MPI: %s\n", aft_dist_built_with_mpi() ? "yes (mpirun -np N agentft train WS)"
                                                    : "no (./configure --with-mpi)");
        return CLI_OK;
    }
    if (argv[1][0] == '-') {
        fprintf(stderr, "agentft: unknown option '%s'\n\n", argv[1]);
        print_overview(stderr);
        return CLI_USAGE;
    }
    /* Two-word commands first ("data check"), then one-word ones ("help"). */
    if (argc >= 3) {
        char name[128];
        snprintf(name, sizeof name, "%s %s", argv[1], argv[2]);
        const cli_command *c = cli_find(name);
        if (c)
            return c->run(argc - 3, argv + 3);
    }
    const cli_command *c = cli_find(argv[1]);
    if (c)
        return c->run(argc - 2, argv + 2);
    size_t n = strlen(argv[1]);
    for (size_t i = 0; i < cli_command_count; i++) {
        if (strncmp(cli_commands[i].name, argv[1], n) == 0 && cli_commands[i].name[n] == ' ') {
            if (argc >= 3)
                fprintf(stderr, "agentft: unknown command '%s %s'\n\n", argv[1], argv[2]);
            else
                fprintf(stderr, "agentft: '%s' needs a command\n\n", argv[1]);
            for (size_t j = 0; j < cli_command_count; j++)
                if (strncmp(cli_commands[j].name, argv[1], n) == 0 && cli_commands[j].name[n] == ' ')
                    cli_usage(cli_commands[j].name, 1);
            return CLI_USAGE;
        }
    }
    fprintf(stderr, "agentft: unknown command '%s'\n\n", argv[1]);
    print_overview(stderr);
    return CLI_USAGE;
}
