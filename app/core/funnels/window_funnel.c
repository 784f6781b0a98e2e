/*
 * window_funnel: SQLite functions that count a funnel in one pass over its steps' events.
 *
 *   SELECT window_funnel_start(steps, window_ms, by_session, with_attribute);
 *   SELECT window_funnel_add(step, visitor, session, ts, id [, start]) FROM ...;  -- each step
 *   SELECT window_funnel_value(session, value) FROM session;  -- with_attribute
 *   SELECT window_funnel_result();  -- or window_funnel_actors(step, dropped, offset, limit
 *                                   --                        [, attribute])
 *
 * `window_funnel_add` is an aggregate over the events matching one step (0-based; an event
 * matching several steps is added once for each), read straight off each step's index.
 * An event's actor is its visitor, or its session when it has no visitor or `by_session`.
 * (One statement a step: joined by UNION ALL, every row would also pass through a
 * co-routine, which nearly doubles the reading.) The rows wait on the connection until
 * `window_funnel_result` walks them and returns JSON:
 *   {"reached": [...], "medians": [null, ...], "to_convert": ..., "groups": [...]}
 * "groups" (with_attribute) holds, per value of an attribute of sessions (a device type or
 * browser), how many of the actors whose best chain started in a session of that value
 * reached each step: the first step's rows carry their session as `start`, and
 * `window_funnel_value` gives the sessions' values (one scan of the sessions: looking each
 * start's session up would cost a seek per start, five times more).
 * `window_funnel_actors` lists instead the actors that reached `step` (with `dropped`: and no
 * further), of one attribute value if given (NULL: unknown), in the order they took it, as
 * [visitor, event id, time, furthest step] from `offset` (at most `limit` of them; -1: all).
 *
 * The walk is the one app/core/funnels/compute.py describes and levels.py runs as SQL,
 * level by level; here each actor's events are walked on their own, the way ClickHouse's
 * windowFunnel aggregate does, after the rows are grouped by actor (a radix sort):
 *   level 0: every first-step event is a chain's start;
 *   level k: each step-k event (in order of time, then id) continues the chain, among those
 *     of level k-1 whose step k-1 came before it, that started last, if that start is within
 *     the window; a chain keeps the earliest event that continued it;
 *   an actor's best chain is its first (in order of start) at the highest level it has.
 * Chains of a level, in order of start, took that level's step in the same order, so the
 * chains that took step k-1 before an event are a prefix of the level, and one pointer
 * walks it: linear in the actor's events for each step.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h> /* first, as Python asks: the library is a module too (the end) */

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 32
/* What window_funnel.py expects of these functions: raised with any change to them, so that
 * a library left from an older build is not used (window_funnel_api()). */
#define API_VERSION 2
#define NONE UINT32_MAX

typedef struct {
    int64_t av;
    int64_t ts;
    int64_t id;
    uint32_t asess;     /* 0 for a visitor's chains, else its session's interned index + 1 */
    uint32_t start;     /* a first step's session, interned; else NONE */
    uint32_t step;
} Row;

/* Interned strings: an open-addressing table of offsets into one buffer. */
typedef struct {
    uint32_t offset, length;
} Span;

typedef struct {
    char *text;
    size_t used, capacity;
    Span *spans;
    size_t count, span_capacity;
    uint32_t *slots; /* string index + 1; 0: empty */
    size_t slot_capacity;
} Strings;

/* The rows collected for one count, on one connection. */
typedef struct {
    int steps;
    int64_t window;
    int by_session;
    int with_attribute;
    int failed; /* SQLITE_NOMEM, or SQLITE_MISUSE for a step out of range */
    Row *rows;
    size_t count, capacity;
    Strings actors;     /* actor sessions */
    Strings starts;     /* the first step's sessions */
    uint32_t *value_of; /* per start session, its value's index in `values` (NONE: unknown) */
    size_t value_count; /* start sessions `value_of` covers: those added before the values */
    Strings values;     /* devices or browsers */
} Funnel;

static uint64_t hash_text(const unsigned char *text, size_t length) {
    uint64_t hash = 1469598103934665603ULL;
    for (size_t i = 0; i < length; i++) hash = (hash ^ text[i]) * 1099511628211ULL;
    return hash;
}

static int grow(void **items, size_t *capacity, size_t needed, size_t size) {
    if (needed <= *capacity) return 1;
    size_t wanted = *capacity ? *capacity : 64;
    while (wanted < needed) wanted *= 2;
    void *moved = realloc(*items, wanted * size);
    if (!moved) return 0;
    *items = moved;
    *capacity = wanted;
    return 1;
}

static int rehash(Strings *s, size_t slot_capacity) {
    uint32_t *slots = calloc(slot_capacity, sizeof *slots);
    if (!slots) return 0;
    for (size_t i = 0; i < s->count; i++) {
        uint64_t hash = hash_text((unsigned char *)s->text + s->spans[i].offset,
                                  s->spans[i].length);
        size_t at = hash & (slot_capacity - 1);
        while (slots[at]) at = (at + 1) & (slot_capacity - 1);
        slots[at] = (uint32_t)i + 1;
    }
    free(s->slots);
    s->slots = slots;
    s->slot_capacity = slot_capacity;
    return 1;
}

/* Where `text` is in the table of interned strings, or the empty slot it would take. */
static size_t probe(const Strings *s, const unsigned char *text, size_t length) {
    size_t at = hash_text(text, length) & (s->slot_capacity - 1);
    for (; s->slots[at]; at = (at + 1) & (s->slot_capacity - 1)) {
        uint32_t i = s->slots[at] - 1;
        if (s->spans[i].length == length && !memcmp(s->text + s->spans[i].offset, text, length))
            break;
    }
    return at;
}

/* The index of `text` among the interned strings, or NONE. */
static uint32_t find(const Strings *s, const unsigned char *text, size_t length) {
    return s->count ? s->slots[probe(s, text, length)] - 1 : NONE;
}

/* The index of `text` among the interned strings (added if new); NONE when out of memory. */
static uint32_t intern(Strings *s, const unsigned char *text, size_t length) {
    if ((s->count + 1) * 2 > s->slot_capacity &&
        !rehash(s, s->slot_capacity ? s->slot_capacity * 2 : 1024))
        return NONE;
    size_t at = probe(s, text, length);
    if (s->slots[at]) return s->slots[at] - 1;
    if (s->count >= NONE - 1 || s->used + length > UINT32_MAX ||
        !grow((void **)&s->text, &s->capacity, s->used + length + 1, 1) ||
        !grow((void **)&s->spans, &s->span_capacity, s->count + 1, sizeof *s->spans))
        return NONE;
    if (length) memcpy(s->text + s->used, text, length);
    s->spans[s->count] = (Span){(uint32_t)s->used, (uint32_t)length};
    s->used += length;
    s->slots[at] = (uint32_t)s->count + 1;
    return (uint32_t)s->count++;
}

static void free_strings(Strings *s) {
    free(s->text);
    free(s->spans);
    free(s->slots);
    memset(s, 0, sizeof *s);
}

/* Forget the collected rows (a new count starts, or one ended). */
static void reset(Funnel *funnel) {
    free(funnel->rows);
    free_strings(&funnel->actors);
    free_strings(&funnel->starts);
    free(funnel->value_of);
    free_strings(&funnel->values);
    memset(funnel, 0, sizeof *funnel);
}

static void funnel_start(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    Funnel *funnel = sqlite3_user_data(context);
    reset(funnel);
    int steps = sqlite3_value_int(argv[0]);
    if (steps < 1 || steps > MAX_STEPS) {
        sqlite3_result_error(context, "window_funnel_start: 1 to 32 steps", -1);
        return;
    }
    funnel->steps = steps;
    funnel->window = sqlite3_value_int64(argv[1]);
    funnel->by_session = sqlite3_value_int(argv[2]) != 0;
    funnel->with_attribute = sqlite3_value_int(argv[3]) != 0;
    sqlite3_result_null(context);
}

static void funnel_add(sqlite3_context *context, int argc, sqlite3_value **argv) {
    Funnel *funnel = sqlite3_user_data(context);
    if (funnel->failed) return;
    int step = sqlite3_value_int(argv[0]);
    if (step < 0 || step >= funnel->steps || (argc == 6) != funnel->with_attribute) {
        funnel->failed = SQLITE_MISUSE;
        return;
    }
    if (funnel->count >= UINT32_MAX - 1 || /* rows are counted in 32 bits */
        !grow((void **)&funnel->rows, &funnel->capacity, funnel->count + 1, sizeof(Row))) {
        funnel->failed = SQLITE_NOMEM;
        return;
    }
    Row *row = &funnel->rows[funnel->count];
    row->av = sqlite3_value_int64(argv[1]); /* 0: none */
    row->asess = 0;
    if (funnel->by_session || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        uint32_t session = intern(&funnel->actors, sqlite3_value_text(argv[2]),
                                  (size_t)sqlite3_value_bytes(argv[2]));
        row->asess = session == NONE ? NONE : session + 1;
    }
    row->ts = sqlite3_value_int64(argv[3]);
    row->id = sqlite3_value_int64(argv[4]);
    row->step = (uint32_t)step;
    row->start = NONE;
    if (argc == 6 && sqlite3_value_type(argv[5]) != SQLITE_NULL) {
        row->start = intern(&funnel->starts, sqlite3_value_text(argv[5]),
                            (size_t)sqlite3_value_bytes(argv[5]));
        if (row->start == NONE) row->asess = NONE;
    }
    if (row->asess == NONE) {
        funnel->failed = SQLITE_NOMEM;
        return;
    }
    funnel->count++;
}

static void funnel_value(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    Funnel *funnel = sqlite3_user_data(context);
    if (funnel->failed) return;
    if (!funnel->with_attribute) {
        funnel->failed = SQLITE_MISUSE;
        return;
    }
    uint32_t start = find(&funnel->starts, sqlite3_value_text(argv[0]),
                          (size_t)sqlite3_value_bytes(argv[0]));
    if (start == NONE) return; /* no chain starts in this session */
    if (!funnel->value_of) {
        funnel->value_count = funnel->starts.count;
        funnel->value_of = malloc(funnel->value_count * sizeof *funnel->value_of);
        if (!funnel->value_of) {
            funnel->failed = SQLITE_NOMEM;
            return;
        }
        memset(funnel->value_of, 0xff, funnel->value_count * sizeof *funnel->value_of);
    }
    if (start >= funnel->value_count) return; /* a session added after the values began */
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL) return;
    uint32_t value = intern(&funnel->values, sqlite3_value_text(argv[1]),
                            (size_t)sqlite3_value_bytes(argv[1]));
    if (value == NONE) funnel->failed = SQLITE_NOMEM;
    funnel->value_of[start] = value;
}

static void report_failure(sqlite3_context *context, Funnel *funnel) {
    if (funnel->failed == SQLITE_NOMEM)
        sqlite3_result_error_nomem(context);
    else
        sqlite3_result_error(context, "window_funnel: a step out of range, or values asked "
                             "for without with_attribute", -1);
    reset(funnel);
}

static void funnel_add_final(sqlite3_context *context) {
    Funnel *funnel = sqlite3_user_data(context);
    if (funnel->failed)
        report_failure(context, funnel);
    else
        sqlite3_result_int64(context, (sqlite3_int64)funnel->count);
}

#define COMPARE(a, b) \
    if ((a) != (b)) return (a) < (b) ? -1 : 1

/* One event of the actor being walked, with the step it matched. */
typedef struct {
    int64_t ts;
    int64_t id;
    uint32_t step;
    uint32_t row;
} Item;

static int by_time(const void *left, const void *right) {
    const Item *a = left, *b = right;
    COMPARE(a->ts, b->ts);
    COMPARE(a->id, b->id);
    COMPARE(a->step, b->step);
    return 0;
}

static int before(const Item *a, const Item *b) {
    return a->ts < b->ts || (a->ts == b->ts && a->id < b->id);
}

/* Per step, the time each best chain took from the step before (and from the first step to
 * the last), to take medians of; and per attribute value, the actors at each step. */
typedef struct {
    int64_t *values;
    size_t count, capacity;
} Durations;

/* An actor behind a bar: where its best chain took the step asked about. */
typedef struct {
    int64_t ts;
    int64_t id;
    int64_t av;
    int64_t furthest;
} Listed;

typedef struct {
    size_t reached[MAX_STEPS];
    Durations took[MAX_STEPS + 1];
    size_t *group_reached; /* [value index + 1 (0: none)][step] */
    size_t group_capacity;
    /* Listing (window_funnel_actors): which actors, and those found. */
    int list_step; /* -1: none listed */
    int dropped, by_group;
    uint32_t group; /* interned value, NONE for unknown */
    Listed *listed;
    size_t listed_count, listed_capacity;
} Totals;

/* A chain: the item of each step it took. */
typedef struct {
    uint32_t at[MAX_STEPS];
} Chain;

typedef struct {
    Item *items;        /* the actor's events, by time */
    uint32_t *by_step;  /* their indexes, grouped by step, each group in order */
    Chain *chains;      /* one per start */
    uint32_t *level[2]; /* chains of the previous and the current level, in start order */
    size_t capacity;
} Scratch;

static int push(Durations *d, int64_t value) {
    if (!grow((void **)&d->values, &d->capacity, d->count + 1, sizeof *d->values)) return 0;
    d->values[d->count++] = value;
    return 1;
}

static int make_room(Scratch *scratch, size_t n) {
    if (n <= scratch->capacity) return 1;
    size_t capacity = n * 2;
    void *moved[5] = {realloc(scratch->items, capacity * sizeof(Item)),
                      realloc(scratch->by_step, capacity * sizeof(uint32_t)),
                      realloc(scratch->chains, capacity * sizeof(Chain)),
                      realloc(scratch->level[0], capacity * sizeof(uint32_t)),
                      realloc(scratch->level[1], capacity * sizeof(uint32_t))};
    if (moved[0]) scratch->items = moved[0];
    if (moved[1]) scratch->by_step = moved[1];
    if (moved[2]) scratch->chains = moved[2];
    if (moved[3]) scratch->level[0] = moved[3];
    if (moved[4]) scratch->level[1] = moved[4];
    for (int i = 0; i < 5; i++)
        if (!moved[i]) return 0;
    scratch->capacity = capacity;
    return 1;
}

static void sort_items(Item *items, size_t n) {
    if (n > 24) {
        qsort(items, n, sizeof *items, by_time);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        Item item = items[i];
        size_t j = i;
        for (; j && by_time(&items[j - 1], &item) > 0; j--) items[j] = items[j - 1];
        items[j] = item;
    }
}

/* Walks one actor's rows (`order[0..n)`, indexes into the collected rows); 0 when out of
 * memory. */
static int walk_actor(const Funnel *funnel, const uint32_t *order, size_t n, Scratch *scratch,
                      Totals *totals) {
    if (!make_room(scratch, n)) return 0;
    Item *items = scratch->items;
    for (size_t i = 0; i < n; i++) {
        const Row *row = &funnel->rows[order[i]];
        items[i] = (Item){row->ts, row->id, row->step, order[i]};
    }
    sort_items(items, n);
    int steps = funnel->steps;
    size_t start[MAX_STEPS + 1] = {0}, filled[MAX_STEPS];
    for (size_t i = 0; i < n; i++) start[items[i].step + 1]++;
    for (int step = 0; step < steps; step++) start[step + 1] += start[step];
    memcpy(filled, start, sizeof filled);
    for (size_t i = 0; i < n; i++) scratch->by_step[filled[items[i].step]++] = (uint32_t)i;

    size_t level_size = start[1] - start[0];
    if (!level_size) return 1; /* never took the first step within the dates */
    uint32_t *previous = scratch->level[0], *current = scratch->level[1];
    for (size_t c = 0; c < level_size; c++) {
        scratch->chains[c].at[0] = scratch->by_step[start[0] + c];
        previous[c] = (uint32_t)c;
    }
    int top = 0;
    for (int step = 1; step < steps; step++) {
        size_t taken = 0, prefix = 0, last_continued = SIZE_MAX;
        for (size_t e = start[step]; e < start[step + 1]; e++) {
            const Item *event = &items[scratch->by_step[e]];
            while (prefix < level_size &&
                   before(&items[scratch->chains[previous[prefix]].at[step - 1]], event))
                prefix++;
            if (!prefix || prefix - 1 == last_continued) continue;
            Chain *chain = &scratch->chains[previous[prefix - 1]];
            if (items[chain->at[0]].ts < event->ts - funnel->window) continue;
            chain->at[step] = scratch->by_step[e];
            current[taken++] = previous[prefix - 1];
            last_continued = prefix - 1;
        }
        if (!taken) break;
        top = step;
        level_size = taken;
        uint32_t *swap = previous;
        previous = current;
        current = swap;
    }
    const Chain *best = &scratch->chains[previous[0]];
    for (int step = 0; step <= top; step++) {
        totals->reached[step]++;
        if (step && !push(&totals->took[step], items[best->at[step]].ts -
                                                    items[best->at[step - 1]].ts))
            return 0;
    }
    if (top == steps - 1 &&
        !push(&totals->took[steps], items[best->at[top]].ts - items[best->at[0]].ts))
        return 0;
    uint32_t session = funnel->rows[items[best->at[0]].row].start;
    uint32_t value = session < funnel->value_count ? funnel->value_of[session] : NONE;
    if (totals->list_step >= 0 && top >= totals->list_step &&
        (!totals->dropped || top == totals->list_step) &&
        (!totals->by_group || value == totals->group)) {
        if (!grow((void **)&totals->listed, &totals->listed_capacity, totals->listed_count + 1,
                  sizeof(Listed)))
            return 0;
        const Item *moment = &items[best->at[totals->list_step]];
        totals->listed[totals->listed_count++] =
            (Listed){moment->ts, moment->id, funnel->rows[moment->row].av, top};
    }
    if (funnel->with_attribute) {
        size_t group = value == NONE ? 0 : (size_t)value + 1;
        size_t needed = (group + 1) * MAX_STEPS, old = totals->group_capacity;
        if (needed > old) {
            size_t capacity = needed * 2;
            size_t *moved = realloc(totals->group_reached, capacity * sizeof *moved);
            if (!moved) return 0;
            memset(moved + old, 0, (capacity - old) * sizeof *moved);
            totals->group_reached = moved;
            totals->group_capacity = capacity;
        }
        for (int step = 0; step <= top; step++) totals->group_reached[group * MAX_STEPS + step]++;
    }
    return 1;
}

/* A row's actor (visitor and interned session packed into one number, or apart where
 * they do not fit), and its index. */
typedef struct {
    uint64_t actor;
    uint32_t session;
    uint32_t row;
} Keyed;

static int by_actor(const void *left, const void *right) {
    const Keyed *a = left, *b = right;
    COMPARE(a->actor, b->actor);
    COMPARE(a->session, b->session);
    return 0;
}

static int bits_for(uint64_t value) {
    int bits = 0;
    while (value >> bits) bits++;
    return bits;
}

/* The rows' indexes, grouped by actor (each actor's rows together, in no particular order
 * of actors): a radix sort of (visitor, interned session) packed into one number. NULL when
 * out of memory. */
static Keyed *group_by_actor(const Funnel *funnel) {
    size_t n = funnel->count;
    Keyed *keyed = malloc(n * sizeof *keyed), *spare = malloc(n * sizeof *spare);
    if (!keyed || !spare) {
        free(keyed);
        free(spare);
        return NULL;
    }
    int64_t lowest = funnel->rows[0].av, highest = lowest;
    for (size_t i = 1; i < n; i++) {
        if (funnel->rows[i].av < lowest) lowest = funnel->rows[i].av;
        if (funnel->rows[i].av > highest) highest = funnel->rows[i].av;
    }
    int session_bits = bits_for(funnel->actors.count + 1);
    int bits = bits_for((uint64_t)highest - (uint64_t)lowest) + session_bits;
    for (size_t i = 0; i < n; i++) {
        uint64_t visitor = (uint64_t)funnel->rows[i].av - (uint64_t)lowest;
        keyed[i] = bits <= 64 ? (Keyed){visitor << session_bits | funnel->rows[i].asess, 0,
                                        (uint32_t)i}
                              : (Keyed){visitor, funnel->rows[i].asess, (uint32_t)i};
    }
    if (bits > 64) { /* visitor numbers too far apart to pack: sort by comparing */
        free(spare);
        qsort(keyed, n, sizeof *keyed, by_actor);
        return keyed;
    }
    enum { DIGIT = 11, BUCKETS = 1 << DIGIT };
    size_t counts[BUCKETS];
    for (int shift = 0; shift < bits; shift += DIGIT) {
        memset(counts, 0, sizeof counts);
        for (size_t i = 0; i < n; i++) counts[(keyed[i].actor >> shift) & (BUCKETS - 1)]++;
        for (size_t b = 0, total = 0; b < BUCKETS; b++) {
            size_t here = counts[b];
            counts[b] = total;
            total += here;
        }
        for (size_t i = 0; i < n; i++) spare[counts[(keyed[i].actor >> shift) & (BUCKETS - 1)]++] =
            keyed[i];
        Keyed *swap = keyed;
        keyed = spare;
        spare = swap;
    }
    free(spare);
    return keyed;
}

/* Reorders `values[0..n)` so that values[k] is the one a sort would put there, with none
 * greater before it and none smaller after it (quickselect: linear, where a sort is not). */
static void select_kth(int64_t *values, size_t n, size_t k) {
    size_t low = 0, high = n - 1;
    while (low < high) {
        int64_t pivot = values[low + (high - low) / 2];
        size_t i = low, j = high;
        while (i <= j) {
            while (values[i] < pivot) i++;
            while (values[j] > pivot) j--;
            if (i <= j) {
                int64_t swap = values[i];
                values[i++] = values[j];
                values[j] = swap;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            high = j;
        else if (k >= i)
            low = i;
        else
            return;
    }
}

/* The median of `d` (the mean of the middle two of an even count), or JSON null. */
static void append_median(sqlite3_str *out, Durations *d) {
    if (!d->count) {
        sqlite3_str_appendall(out, "null");
        return;
    }
    size_t middle = (d->count - 1) / 2;
    select_kth(d->values, d->count, middle);
    double median = (double)d->values[middle];
    if (d->count % 2 == 0) { /* the next one up: the least of those after the middle */
        int64_t next = d->values[middle + 1];
        for (size_t i = middle + 2; i < d->count; i++)
            if (d->values[i] < next) next = d->values[i];
        median = (median + (double)next) / 2;
    }
    sqlite3_str_appendf(out, "%.1f", median);
}

static void append_json_text(sqlite3_str *out, const char *text, size_t length) {
    sqlite3_str_appendchar(out, 1, '"');
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\')
            sqlite3_str_appendf(out, "\\%c", c);
        else if (c < 0x20)
            sqlite3_str_appendf(out, "\\u%04x", c);
        else
            sqlite3_str_appendchar(out, 1, (char)c);
    }
    sqlite3_str_appendchar(out, 1, '"');
}

static void append_counts(sqlite3_str *out, const size_t *reached, int steps) {
    sqlite3_str_appendchar(out, 1, '[');
    for (int step = 0; step < steps; step++)
        sqlite3_str_appendf(out, step ? ",%lld" : "%lld", (sqlite3_int64)reached[step]);
    sqlite3_str_appendchar(out, 1, ']');
}

static void append_result(sqlite3_str *out, const Funnel *funnel, Totals *totals) {
    sqlite3_str_appendall(out, "{\"reached\":");
    append_counts(out, totals->reached, funnel->steps);
    sqlite3_str_appendall(out, ",\"medians\":[null");
    for (int step = 1; step < funnel->steps; step++) {
        sqlite3_str_appendchar(out, 1, ',');
        append_median(out, &totals->took[step]);
    }
    sqlite3_str_appendall(out, "],\"to_convert\":");
    append_median(out, &totals->took[funnel->steps]);
    if (funnel->with_attribute) {
        sqlite3_str_appendall(out, ",\"groups\":[");
        const Strings *values = &funnel->values;
        int first = 1;
        for (size_t group = 0; group * MAX_STEPS < totals->group_capacity; group++) {
            const size_t *reached = &totals->group_reached[group * MAX_STEPS];
            if (!reached[0]) continue;
            sqlite3_str_appendall(out, first ? "{\"value\":" : ",{\"value\":");
            first = 0;
            if (group == 0)
                sqlite3_str_appendall(out, "null");
            else
                append_json_text(out, values->text + values->spans[group - 1].offset,
                                 values->spans[group - 1].length);
            sqlite3_str_appendall(out, ",\"reached\":");
            append_counts(out, reached, funnel->steps);
            sqlite3_str_appendchar(out, 1, '}');
        }
        sqlite3_str_appendchar(out, 1, ']');
    }
    sqlite3_str_appendchar(out, 1, '}');
}

/* Walk every actor's rows; 0 when out of memory. */
static int walk(const Funnel *funnel, Totals *totals) {
    Keyed *keyed = group_by_actor(funnel);
    uint32_t *order = malloc(funnel->count * sizeof *order);
    Scratch scratch = {0};
    int ok = keyed && order;
    for (size_t first = 0, last; ok && first < funnel->count; first = last) {
        for (last = first; last < funnel->count && keyed[last].actor == keyed[first].actor &&
                           keyed[last].session == keyed[first].session;
             last++)
            order[last - first] = keyed[last].row;
        ok = walk_actor(funnel, order, last - first, &scratch, totals);
    }
    free(keyed);
    free(order);
    free(scratch.items);
    free(scratch.by_step);
    free(scratch.chains);
    free(scratch.level[0]);
    free(scratch.level[1]);
    return ok;
}

static int by_moment(const void *left, const void *right) {
    const Listed *a = left, *b = right;
    COMPARE(a->ts, b->ts);
    COMPARE(a->id, b->id);
    return 0;
}

static void append_listed(sqlite3_str *out, Totals *totals, sqlite3_int64 offset,
                          sqlite3_int64 limit) {
    qsort(totals->listed, totals->listed_count, sizeof(Listed), by_moment);
    sqlite3_str_appendchar(out, 1, '[');
    size_t first = offset < 0 ? 0 : (size_t)offset, last = totals->listed_count;
    if (limit >= 0 && first + (size_t)limit < last) last = first + (size_t)limit;
    for (size_t i = first; i < last; i++) {
        const Listed *actor = &totals->listed[i];
        sqlite3_str_appendf(out, "%s[%lld,%lld,%lld,%lld]", i == first ? "" : ",", actor->av,
                            actor->id, actor->ts, actor->furthest);
    }
    sqlite3_str_appendchar(out, 1, ']');
}

/* The end of a count: the walk, then the counts (or the actors listed) as JSON. */
static void finish(sqlite3_context *context, Funnel *funnel, Totals *totals,
                   sqlite3_value **listing) {
    if (!funnel->steps) {
        sqlite3_result_error(context, "window_funnel: no window_funnel_start before", -1);
        return;
    }
    if (funnel->failed) {
        report_failure(context, funnel);
        return;
    }
    int ok = !funnel->count || walk(funnel, totals);
    sqlite3_str *out = sqlite3_str_new(sqlite3_context_db_handle(context));
    if (ok && listing)
        append_listed(out, totals, sqlite3_value_int64(listing[2]),
                      sqlite3_value_int64(listing[3]));
    else if (ok)
        append_result(out, funnel, totals);
    for (int step = 0; step <= funnel->steps; step++) free(totals->took[step].values);
    free(totals->group_reached);
    free(totals->listed);
    reset(funnel);
    if (!ok || sqlite3_str_errcode(out)) {
        sqlite3_free(sqlite3_str_finish(out));
        sqlite3_result_error_nomem(context);
        return;
    }
    int length = sqlite3_str_length(out);
    sqlite3_result_text(context, sqlite3_str_finish(out), length, sqlite3_free);
}

static void funnel_result(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    (void)argv;
    Totals totals = {.list_step = -1};
    finish(context, sqlite3_user_data(context), &totals, NULL);
}

static void funnel_actors(sqlite3_context *context, int argc, sqlite3_value **argv) {
    Funnel *funnel = sqlite3_user_data(context);
    Totals totals = {.list_step = sqlite3_value_int(argv[0]),
                     .dropped = sqlite3_value_int(argv[1]) != 0,
                     .by_group = argc == 5,
                     .group = NONE};
    if (totals.list_step < 0 || totals.list_step >= funnel->steps ||
        (totals.by_group && !funnel->with_attribute)) {
        sqlite3_result_error(context, "window_funnel_actors: no such step or attribute", -1);
        reset(funnel);
        return;
    }
    if (totals.by_group && sqlite3_value_type(argv[4]) != SQLITE_NULL) {
        totals.group = intern(&funnel->values, sqlite3_value_text(argv[4]),
                              (size_t)sqlite3_value_bytes(argv[4]));
        if (totals.group == NONE) funnel->failed = SQLITE_NOMEM;
    }
    finish(context, funnel, &totals, argv);
}

static void funnel_api(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    (void)argv;
    sqlite3_result_int(context, API_VERSION);
}

static void free_funnel(void *funnel) {
    reset(funnel);
    free(funnel);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_windowfunnel_init(sqlite3 *db, char **error, const sqlite3_api_routines *api) {
    (void)error;
    SQLITE_EXTENSION_INIT2(api);
    Funnel *funnel = calloc(1, sizeof *funnel); /* this connection's rows */
    if (!funnel) return SQLITE_NOMEM;
    /* Never from a view or trigger a cache file might carry: only the statements above. */
    int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
    /* Registered first: should it fail, SQLite frees `funnel` by the destructor. */
    int result = sqlite3_create_function_v2(db, "window_funnel_result", 0, flags, funnel,
                                            funnel_result, NULL, NULL, free_funnel);
    if (result == SQLITE_OK)
        result = sqlite3_create_function(db, "window_funnel_start", 4, flags, funnel, funnel_start,
                                     NULL, NULL);
    for (int args = 4; result == SQLITE_OK && args <= 5; args++)
        result = sqlite3_create_function(db, "window_funnel_actors", args, flags, funnel,
                                         funnel_actors, NULL, NULL);
    if (result == SQLITE_OK)
        result = sqlite3_create_function(db, "window_funnel_api", 0, flags, NULL, funnel_api,
                                         NULL, NULL);
    if (result == SQLITE_OK)
        result = sqlite3_create_function(db, "window_funnel_value", 2, flags, funnel, NULL,
                                         funnel_value, funnel_add_final);
    for (int args = 5; result == SQLITE_OK && args <= 6; args++)
        result = sqlite3_create_function(db, "window_funnel_add", args, flags, funnel, NULL,
                                         funnel_add, funnel_add_final);
    return result;
}

/* Built as a Python extension (setup.py), the library is importable, and tools that import
 * every module of a package do: as a module it is empty. */
static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_window_funnel",
    "The window_funnel SQLite extension: loaded into connections by window_funnel.py.", -1,
    NULL, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__window_funnel(void) { return PyModule_Create(&module); }
