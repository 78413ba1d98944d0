#!/usr/bin/env node
// The reference side of tests/e2e/gpt2_encoder.sh.
//   node gpt2_encode.js gen [DATASET.jsonl [TABLES.c]]
//                                            writes test strings, one JSON string a line
//   node gpt2_encode.js encode MODULE_DIR    reads such lines on stdin and prints the ids
//                                            the gpt-3-encoder package in MODULE_DIR gives
//                                            each, space-separated, one line per input line
//   node gpt2_encode.js hf MODULE_DIR TOKENIZER.json
//                                            the same with Hugging Face's tokenizers.js
//                                            (@huggingface/tokenizers) and a tokenizer.json
// The strings are generated deterministically (a seeded PRNG), so a failure
// can be reproduced. Given agentft's src/data/unicode_tables.c, random code
// points that this node's Unicode version classes differently from the tables
// (characters added in a newer version) are left out, and counted on stderr.
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');

// xorshift32: small, seedable, the same on every node.
let state = 0x2545f491;
function rand() {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
}
const below = (n) => Math.floor(rand() * n);
const pick = (a) => a[below(a.length)];

const words = ('the quick brown fox jumps over lazy dog agent flight booking cancel refund ' +
    'hotel Tokyo Berlin please find me a cheap seat tomorrow morning at gate 42 The A I you ' +
    'And OK New York internationalization tokenizer GPT').split(' ');
const contractions = ["don't", "I'm", "we'll", "they're", "you've", "it's", "he'd", "DON'T",
    "I'M", "can't", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "o'clock", "rock'n'roll",
    "''s", "'x", "'", "' s"];
const spaces = [' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', ' \n ', '\u00a0', '\u3000', '\u2009',
    '\u000b', '\f', '\u0085', '\u200b', '\ufeff', '\u2028', '\u202f', '\u1680', ' \t ', '\n   '];
const punct = ['.', ',', '!', '?', '...', '!!!???', '---', '"', '"\'', '(', ')', '[', ']', '{',
    '}', '<', '>', '@', '#', '$', '%', '^', '&', '*', '_', '=', '+', '~', '`', '|', '\\', '/',
    ':', ';', '«', '»', '—', '–', '…', '¿', '¡', '§', '©', '®', '°', '€', '£', '¥', '•'];
const numbers = ['0', '7', '42', '123', '2024', '3.14', '1,000,000', '007', '١٢٣', '٣٤٥',
    '½', '²', '³', 'Ⅻ', '①', '१२३', '৪', '𝟘𝟙', '12345678901234567890'];
const cjk = ['你好', '世界', '用户查询航班信息', '北京到上海', '预算800元', 'こんにちは', 'カタカナ',
    '東京', '안녕하세요', '한국어', '〇', '々', '中文，标点。', '「引号」', '《书名》'];
const scripts = ['Привет мир', 'Ελληνικά', 'مرحبا بالعالم', 'שלום עולם', 'हिन्दी भाषा',
    'ภาษาไทย', 'ქართული', 'Ἀθῆναι', 'café', 'cafe\u0301', 'e\u0301\u0302\u0303', 'ǅungla',
    'ﬁne', 'Ⓐⓑ', 'x\u0308y', 'ß', 'İstanbul', 'ŉ', 'ꙮ', '𐐷𐐸', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢'];
const emoji = ['🙂', '😀😃', '👍🏽', '👨‍👩‍👧‍👦', '🇩🇪', '🇯🇵🇺🇸', '❤️', '☺︎', '🏳️‍🌈', '🤖',
    '✈️', '🧑🏿‍🚀', '#️⃣', '🫠', '🀄', '♠'];
const code = [
    'int main(void) {\n    return 0;\n}\n',
    'def f(x):\n\treturn x**2  # square\n',
    'for (size_t i = 0; i < n; i++) a[i] += b[i] * 2.5f;',
    'const s = `${a}-${b}`; // template\n',
    '    if x != None and y >= 3:\n        print("ok")\n\n\n',
    '<div class="x">&nbsp;</div>',
    '{"key": "value", "n": [1, 2, 3], "ok": true}',
    'SELECT * FROM users WHERE id = 42;',
    'x=>x+1;;;;',
    '#include <stdio.h>\r\n',
];

function englishSentence() {
    const n = 3 + below(14);
    let s = '';
    for (let i = 0; i < n; i++) {
        if (i > 0)
            s += rand() < 0.85 ? ' ' : pick(spaces);
        const r = rand();
        if (r < 0.12)
            s += pick(contractions);
        else if (r < 0.2)
            s += pick(numbers);
        else
            s += pick(words);
        if (rand() < 0.15)
            s += pick(punct);
    }
    return s + pick(['.', '!', '?', '', '\n']);
}

// agentft's classes, read from the generated C tables; null without them.
let tables = null;

function nodeClass(cp) {
    const s = String.fromCodePoint(cp);
    if (/\p{L}/u.test(s))
        return 'LETTER';
    if (/\p{N}/u.test(s))
        return 'NUMBER';
    return /\s/u.test(s) ? 'SPACE' : 'OTHER';
}

function tableClass(cp) {
    let lo = 0, hi = tables.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cp < tables[mid][0])
            hi = mid;
        else if (cp > tables[mid][1])
            lo = mid + 1;
        else
            return tables[mid][2];
    }
    return 'OTHER';
}

function readTables(file) {
    const text = fs.readFileSync(file, 'utf-8');
    tables = [...text.matchAll(/\{0x([0-9A-F]+), 0x([0-9A-F]+), AFT_UC_([A-Z]+)\}/g)]
        .map((m) => [parseInt(m[1], 16), parseInt(m[2], 16), m[3]]);
    let differ = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++)
        if ((cp < 0xd800 || cp > 0xdfff) && nodeClass(cp) !== tableClass(cp))
            differ++;
    if (differ > 0) {
        const version = (text.match(/\(Unicode ([0-9.]+)\)/) || [])[1];
        process.stderr.write(`note: node's Unicode ${process.versions.unicode} and the tables' ` +
            `${version} class ${differ} code points differently; random strings leave them out\n`);
    }
}

function randomCodePoint() {
    for (;;) {
        const s = anyCodePoint();
        if (!tables || nodeClass(s.codePointAt(0)) === tableClass(s.codePointAt(0)))
            return s;
    }
}

function anyCodePoint() {
    const r = rand();
    let cp;
    if (r < 0.4)
        cp = 0x20 + below(0x5f);
    else if (r < 0.6)
        cp = 0x80 + below(0x780);
    else if (r < 0.85)
        cp = 0x800 + below(0xf800);
    else
        cp = 0x10000 + below(0x100000);
    if (cp >= 0xd800 && cp <= 0xdfff)
        cp = 0x41;  // no lone surrogates: the reference cannot encode them either
    return String.fromCodePoint(cp);
}

function mixed() {
    const parts = [englishSentence, () => pick(cjk), () => pick(scripts), () => pick(emoji),
        () => pick(spaces), () => pick(punct), () => pick(numbers), () => pick(contractions),
        () => pick(code), randomCodePoint];
    let s = '';
    const n = 1 + below(12);
    for (let i = 0; i < n; i++)
        s += pick(parts)();
    return s;
}

function longRun() {
    const unit = pick(['a', 'ab', 'the ', '中', '🙂', ' ', '\n', '1', '!', 'é', 'x\u0301', 'ha',
        'aaaaab', '0 ', 'abcabcab']);
    return unit.repeat(20 + below(300));
}

function generate(datasetPath) {
    const out = [];
    for (let i = 0; i < 1200; i++)
        out.push(englishSentence());
    for (let i = 0; i < 1500; i++)
        out.push(mixed());
    for (let i = 0; i < 300; i++) {
        let s = '';
        for (let k = 1 + below(40); k > 0; k--)
            s += randomCodePoint();
        out.push(s);
    }
    for (let i = 0; i < 200; i++)
        out.push(longRun());
    for (const list of [contractions, spaces, punct, numbers, cjk, scripts, emoji, code])
        for (const s of list)
            out.push(s, 'x' + s + 'y', ' ' + s + ' ', s + s);
    if (datasetPath && fs.existsSync(datasetPath)) {
        for (const line of fs.readFileSync(datasetPath, 'utf-8').split('\n')) {
            if (!line.trim())
                continue;
            const r = JSON.parse(line);
            const ctx = Array.isArray(r.context) ? r.context.map((t) => t.content) : [r.context];
            for (const s of [...ctx, r.agent_action, r.expected_response, r.reasoning])
                if (typeof s === 'string' && s)
                    out.push(s);
        }
    }
    // C strings end at NUL, so the batch interface cannot carry one.
    return out.map((s) => s.replace(/\u0000/g, ' '));
}

// One JSON string a line on stdin -> one line of space-separated ids.
function encodeLines(encode) {
    const lines = [];
    const rl = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
    rl.on('line', (line) => lines.push(encode(JSON.parse(line)).join(' ')));
    rl.on('close', () => process.stdout.write(lines.map((l) => l + '\n').join('')));
}

function main() {
    const [mode, arg, arg2] = process.argv.slice(2);
    if (mode === 'gen') {
        if (arg2)
            readTables(arg2);
        process.stdout.write(generate(arg).map((s) => JSON.stringify(s)).join('\n') + '\n');
    } else if (mode === 'encode') {
        const enc = require(path.resolve(arg, 'node_modules', 'gpt-3-encoder'));
        encodeLines((s) => enc.encode(s));
    } else if (mode === 'hf') {
        const {Tokenizer} = require(
            path.resolve(arg, 'node_modules', '@huggingface', 'tokenizers', 'dist', 'tokenizers.cjs'));
        const tok = new Tokenizer(JSON.parse(fs.readFileSync(arg2, 'utf-8')), {});
        encodeLines((s) => tok.encode(s, {add_special_tokens: false}).ids);
    } else {
        process.stderr.write('usage: gpt2_encode.js gen [DATASET.jsonl [TABLES.c]] | encode MODULE_DIR | ' +
            'hf MODULE_DIR TOKENIZER.json\n');
        process.exit(2);
    }
}

main();
