#!/usr/bin/env python3
"""_rag generation time of the extractive answerer on the README's sample.

usage: python3 bench/rag_generation_bench.py [--url URL] [--questions N] [--rounds R] [--answer-model NAME]

On the node of scripts/run-node.sh (which loads the sample): the titles of the first 2N English packages of
samples/debian-packages.ndjson are asked of debian-packages-en ("field": "body", k 5, the extractive answerer,
its default answer model unless --answer-model names one). Each round empties the node's query cache, then asks the
first N (cold), the same again (every sentence vector from the query cache), then the other N (passages cited
before are cached). Prints p50 and p90 of took.generation_ms for each pass of each round. Standard library only.
"""
import argparse
import json
import os
import urllib.request


def post(url, path, body):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method='POST',
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--url', default='http://127.0.0.1:9200')
    parser.add_argument('--questions', type=int, default=30)
    parser.add_argument('--rounds', type=int, default=1)
    parser.add_argument('--answer-model', help="_rag's answer_model (default: what _rag picks unasked)")
    args = parser.parse_args()
    if args.questions < 1 or args.rounds < 1:
        parser.error('--questions and --rounds must be at least 1')
    extra = {'answer_model': args.answer_model} if args.answer_model else {}
    sample = os.path.join(os.path.dirname(__file__), '..', 'samples', 'debian-packages.ndjson')
    titles = []
    with open(sample, encoding='utf-8') as f:
        for line in f:
            doc = json.loads(line)
            if doc.get('lang') == 'en' and doc.get('title'):
                titles.append(doc['title'])
    n = args.questions
    passes = [('first %d questions' % n, titles[:n]), ('the same again', titles[:n]), ('%d others' % n, titles[n:2 * n])]
    print('| round | questions | generation_ms p50 | p90 |')
    print('|---|---|---|---|')
    for round in range(1, args.rounds + 1):
        post(args.url, '/_plugins/_semantic/query_cache/_clear', {})
        for name, questions in passes:
            took = [post(args.url, '/debian-packages-en/_rag', {'question': q, 'field': 'body', 'k': 5, **extra})['took']['generation_ms']
                    for q in questions]
            print(f'| {round} | {name} | {percentile(took, 0.5):.1f} | {percentile(took, 0.9):.1f} |')


if __name__ == '__main__':
    main()
