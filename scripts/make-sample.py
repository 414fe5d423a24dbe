#!/usr/bin/env python3
"""Builds samples/debian-packages.ndjson: real English and Chinese documents for the demo and the tests.

Each document is one Debian package description from Debian 12 "bookworm", main section: the English ones from
Translation-en, the Chinese ones from Translation-zh_CN (the Debian Description Translation Project). Fields:
package, title (the synopsis, the description's first line), body (the long description, wrapped lines joined into
paragraphs), lang ("en" or "zh"). The output is _bulk NDJSON: an action line, then the document, per document.

Selection follows bench/make_debdesc.py: long descriptions of at least 80 characters and synopses of at
least 8, dropping packages whose long description or synopsis is shared with another package (-dev/-doc/-data
siblings), then a seeded shuffle, so the same archive index always gives the same sample.

usage: scripts/make-sample.py [EN_DOCS [ZH_DOCS]]   (defaults 300 and 200)
needs: apt-get update -o Acquire::Languages="en,zh_CN"   (the translated description indexes)
"""
import glob
import json
import os
import random
import subprocess
import sys
import unicodedata

SEED = 20261123
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'samples', 'debian-packages.ndjson')
FILES = {'en': '*bookworm_main_i18n_Translation-en.lz4', 'zh': '*bookworm_main_i18n_Translation-zh%5fCN.lz4'}
KEYS = {'en': 'Description-en: ', 'zh': 'Description-zh_CN: '}


def index_text(lang):
    files = glob.glob('/var/lib/apt/lists/' + FILES[lang])
    if not files:
        sys.exit('no %s description index in /var/lib/apt/lists: run apt-get update -o Acquire::Languages="en,zh_CN"' % lang)
    return subprocess.run(['/usr/lib/apt/apt-helper', 'cat-file', files[0]], capture_output=True, text=True, check=True).stdout


def is_cjk(ch):
    return unicodedata.east_asian_width(ch) in ('W', 'F')


def unwrap(lines):
    """Debian's long description: " ." is a blank line, lines with two leading spaces are verbatim, the rest is
    wrapped text. Wrapped lines become one paragraph (joined by a space, or by nothing between CJK characters);
    a verbatim line (a list item, a command) stays on a line of its own."""
    paragraphs, text, verbatim_before = [], '', False
    for raw in lines:
        line = raw[1:] if raw.startswith(' ') else raw
        if line == '.':
            paragraphs.append(text)
            text, verbatim_before = '', False
            continue
        verbatim = line.startswith(' ')
        line = line.strip()
        if not text:
            text = line
        elif verbatim or verbatim_before:
            text += '\n' + line
        elif is_cjk(text[-1]) and is_cjk(line[0]):
            text += line
        else:
            text += ' ' + line
        verbatim_before = verbatim
    paragraphs.append(text)
    return '\n\n'.join(p for p in paragraphs if p)


def packages(lang):
    key = KEYS[lang]
    found = []
    for block in index_text(lang).split('\n\n'):
        lines = block.split('\n')
        name = next((l[len('Package: '):] for l in lines if l.startswith('Package: ')), None)
        at = next((i for i, l in enumerate(lines) if l.startswith(key)), None)
        if name is None or at is None:
            continue
        title = lines[at][len(key):].strip()
        body = unwrap(lines[at + 1:])
        if len(body) >= 80 and len(title) >= 8:
            found.append((name, title, body))
    bodies, titles = {}, {}
    for _, title, body in found:
        bodies[body] = bodies.get(body, 0) + 1
        titles[title.lower()] = titles.get(title.lower(), 0) + 1
    unique = [p for p in found if bodies[p[2]] == 1 and titles[p[1].lower()] == 1]
    random.Random(SEED).shuffle(unique)
    return unique


def main():
    counts = {'en': int(sys.argv[1]) if len(sys.argv) > 1 else 300, 'zh': int(sys.argv[2]) if len(sys.argv) > 2 else 200}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w', encoding='utf-8') as out:
        for lang, count in counts.items():
            chosen = sorted(packages(lang)[:count])
            for name, title, body in chosen:
                out.write(json.dumps({'index': {'_id': lang + '-' + name}}) + '\n')
                doc = {'package': name, 'title': title, 'body': body, 'lang': lang}
                out.write(json.dumps(doc, ensure_ascii=False) + '\n')
            print('%s: %d documents' % (lang, len(chosen)))
    print('wrote', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
