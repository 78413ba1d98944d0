/* A deterministic stand-in translator for agentft's back-translation: a small
 * English<->French dictionary that speaks agentft's JSON-lines protocol. */

/* Not a real translator: it exists so that back-translation can be tried and
 * tested without an MT system (see README.md beside it).
 *
 *   in:  {"id":1,"text":"Please book a cheap flight.","to":"fr"}
 *   out: {"id":1,"text":"Réserver un vol économique svp."}
 *   in:  {"id":2,"text":"Réserver un vol économique svp.","to":"en"}
 *   out: {"id":2,"text":"Reserve an inexpensive flight please."}
 *
 * The way back picks other English words (book -> réserver -> reserve), so
 * a round trip gives a paraphrase. Unknown words pass through unchanged.
 * Build: part of `make` (examples/translator/translator), or by hand:
 *   cc -O2 -o translator translator.c -lcjson */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* en, fr, kind, and the English the French word comes back as.
 * kind: n noun, a adjective after its noun in French, p adjective before
 * it, x anything else. */
typedef struct entry {
    const char *en, *fr;
    char kind;
    const char *back;
} entry;

static const entry dict[] = {
    {"book", "réserver", 'x', "reserve"}, {"reserve", "réserver", 'x', "reserve"},
    {"cancel", "annuler", 'x', "call off"}, {"change", "modifier", 'x', "modify"},
    {"want", "vouloir", 'x', "wish"}, {"need", "nécessiter", 'x', "require"},
    {"find", "trouver", 'x', "locate"}, {"show", "montrer", 'x', "display"},
    {"check", "vérifier", 'x', "verify"}, {"get", "obtenir", 'x', "obtain"},
    {"send", "envoyer", 'x', "send"}, {"pay", "payer", 'x', "pay"},
    {"buy", "acheter", 'x', "purchase"}, {"help", "aider", 'x', "assist"},
    {"transfer", "transférer", 'x', "transfer"}, {"receive", "recevoir", 'x', "receive"},
    {"use", "utiliser", 'x', "use"}, {"close", "fermer", 'x', "close"},
    {"open", "ouvrir", 'x', "open"}, {"add", "ajouter", 'x', "add"},
    {"flight", "vol", 'n', "flight"}, {"ticket", "billet", 'n', "ticket"},
    {"seat", "siège", 'n', "seat"}, {"trip", "voyage", 'n', "journey"},
    {"card", "carte", 'n', "card"}, {"account", "compte", 'n', "account"},
    {"money", "argent", 'n', "money"}, {"refund", "remboursement", 'n', "reimbursement"},
    {"payment", "paiement", 'n', "payment"}, {"fee", "frais", 'n', "charge"},
    {"price", "prix", 'n', "price"}, {"bag", "bagage", 'n', "luggage"},
    {"baggage", "bagage", 'n', "luggage"}, {"hotel", "hôtel", 'n', "hotel"},
    {"city", "ville", 'n', "city"}, {"day", "jour", 'n', "day"},
    {"week", "semaine", 'n', "week"}, {"window", "fenêtre", 'n', "window"},
    {"aisle", "couloir", 'n', "aisle"}, {"problem", "problème", 'n', "issue"},
    {"question", "question", 'n', "question"}, {"status", "statut", 'n', "status"},
    {"delay", "retard", 'n', "delay"}, {"balance", "solde", 'n', "balance"},
    {"transaction", "transaction", 'n', "transaction"}, {"phone", "téléphone", 'n', "phone"},
    {"address", "adresse", 'n', "address"}, {"order", "commande", 'n', "order"},
    {"cheap", "économique", 'a', "inexpensive"}, {"fast", "rapide", 'a', "quick"},
    {"quick", "rapide", 'a', "quick"}, {"late", "tardif", 'a', "late"},
    {"direct", "direct", 'a', "nonstop"}, {"lost", "perdu", 'a', "lost"},
    {"extra", "supplémentaire", 'a', "additional"}, {"new", "nouveau", 'p', "new"},
    {"next", "prochain", 'p', "next"}, {"last", "dernier", 'p', "last"},
    {"first", "premier", 'p', "first"}, {"good", "bon", 'p', "good"},
    {"big", "grand", 'p', "large"}, {"small", "petit", 'p', "little"},
    {"wrong", "mauvais", 'p', "wrong"}, {"other", "autre", 'p', "other"},
    {"please", "svp", 'x', "please"}, {"a", "un", 'x', "a"}, {"an", "un", 'x', "a"},
    {"the", "le", 'x', "the"}, {"my", "mon", 'x', "my"}, {"your", "votre", 'x', "your"},
    {"to", "à", 'x', "to"}, {"from", "de", 'x', "from"}, {"for", "pour", 'x', "for"},
    {"and", "et", 'x', "and"}, {"with", "avec", 'x', "with"}, {"in", "dans", 'x', "in"},
    {"on", "sur", 'x', "on"}, {"i", "je", 'x', "I"}, {"you", "vous", 'x', "you"},
    {"is", "est", 'x', "is"}, {"are", "sont", 'x', "are"}, {"can", "peux", 'x', "can"},
    {"not", "pas", 'x', "not"}, {"what", "quoi", 'x', "what"}, {"how", "comment", 'x', "how"},
    {"when", "quand", 'x', "when"}, {"where", "où", 'x', "where"}, {"why", "pourquoi", 'x', "why"},
    {"hi", "salut", 'x', "hello"}, {"hello", "bonjour", 'x', "hi"},
    {"thanks", "merci", 'x', "thank you"}, {"today", "aujourd'hui", 'x', "today"},
    {"tomorrow", "demain", 'x', "tomorrow"}, {"still", "encore", 'x', "still"},
};
#define NDICT (sizeof dict / sizeof dict[0])

/* A word of the sentence: its text (in the input, or the dictionary's), a
 * comma or colon after it, and its entry when the dictionary knows it. */
typedef struct word {
    const char *text;
    char tail;
    const entry *e;
} word;

static const entry *lookup(const char *w, int to_fr)
{
    char low[64];
    size_t n = strlen(w);
    if (n >= sizeof low)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)w[i]);
    for (size_t i = 0; i < NDICT; i++)
        if (strcmp(to_fr ? dict[i].en : dict[i].fr, low) == 0)
            return &dict[i];
    return NULL;
}

static int is_vowel(char c)
{
    return c && strchr("aeiouAEIOU", c) != NULL;
}

/* Cuts text into words in place; a sentence end (.!?) is kept aside. */
static size_t split(char *text, word *words, char *end_punct)
{
    size_t n = strlen(text), count = 0;
    *end_punct = 0;
    if (n > 0 && strchr(".!?", text[n - 1])) {
        *end_punct = text[n - 1];
        text[n - 1] = '\0';
    }
    for (char *tok = strtok(text, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
        size_t len = strlen(tok);
        words[count] = (word){tok, 0, NULL};
        if (len > 1 && strchr(",;:", tok[len - 1])) {
            words[count].tail = tok[len - 1];
            tok[len - 1] = '\0';
        }
        count++;
    }
    return count;
}

static void swap(word *a, word *b)
{
    word t = *a;
    *a = *b;
    *b = t;
}

/* Translates word by word; French puts most adjectives after the noun and
 * "svp" at the end; English puts them back before the noun. */
static char *translate(const char *in, int to_fr)
{
    char *text = strdup(in);
    word *words = text ? malloc((strlen(in) / 2 + 2) * sizeof *words) : NULL;
    char end_punct, *out = NULL;
    if (!words)
        goto done;
    int capital = isupper((unsigned char)text[0]);
    size_t n = split(text, words, &end_punct);
    for (size_t i = 0; i < n; i++) {
        words[i].e = lookup(words[i].text, to_fr);
        if (words[i].e)
            words[i].text = to_fr ? words[i].e->fr : words[i].e->back;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        const entry *a = words[i].e, *b = words[i + 1].e;
        char want = to_fr ? 'a' : 'n', then = to_fr ? 'n' : 'a';
        if (a && b && a->kind == want && b->kind == then)
            swap(&words[i], &words[i + 1]), i++;
    }
    if (to_fr && n > 1 && words[0].e && strcmp(words[0].e->en, "please") == 0) {
        word please = words[0];
        memmove(words, words + 1, (n - 1) * sizeof *words);
        words[n - 1] = please;
    }
    size_t size = 3;
    for (size_t i = 0; i < n; i++)
        size += strlen(words[i].text) + 3;
    char *p = out = malloc(size);
    if (!out)
        goto done;
    for (size_t i = 0; i < n; i++) {
        /* English "a" becomes "an" before a vowel */
        int an = !to_fr && strcmp(words[i].text, "a") == 0 && i + 1 < n && is_vowel(words[i + 1].text[0]);
        p += sprintf(p, "%s%s", i ? " " : "", an ? "an" : words[i].text);
        if (words[i].tail)
            *p++ = words[i].tail;
    }
    if (end_punct)
        *p++ = end_punct;
    *p = '\0';
    if (capital)
        out[0] = (char)toupper((unsigned char)out[0]);
done:
    free(words);
    free(text);
    return out;
}

static void answer(const cJSON *id, const char *key, const char *value)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "id", cJSON_Duplicate(id, 1));
    cJSON_AddStringToObject(o, key, value);
    char *line = cJSON_PrintUnformatted(o);
    printf("%s\n", line);
    fflush(stdout);
    cJSON_free(line);
    cJSON_Delete(o);
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        cJSON *req = cJSON_Parse(line);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(req, "text");
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(req, "to");
        if (!id || !cJSON_IsString(text) || !cJSON_IsString(to)) {
            fprintf(stderr, "translator: not a request: %s", line);
            cJSON_Delete(req);
            return 1;
        }
        int to_fr = strcmp(to->valuestring, "fr") == 0;
        if (!to_fr && strcmp(to->valuestring, "en") != 0) {
            answer(id, "error", "this stand-in translates only between en and fr");
        } else {
            char *out = translate(text->valuestring, to_fr);
            answer(id, "text", out ? out : "");
            free(out);
        }
        cJSON_Delete(req);
    }
    free(line);
    return 0;
}
