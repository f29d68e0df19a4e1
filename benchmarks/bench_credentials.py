"""Content Credentials cost: signing and reading per asset at 1024², and the file-size overhead.

Run from the project root::

    python -m benchmarks.bench_credentials           # 15 timed runs per row after one warm-up
    python -m benchmarks.bench_credentials --runs 5

For PNG, JPEG and WebP (a 1024×1024 synthetic poster with noise, encoded as brandkit delivers it, provenance
record embedded), each row is the median wall time of:

* baseline – the plain save: brandkit's provenance record embedded, file and sidecar written atomically
  (``Asset.save`` without a signer);
* sign – :func:`brandkit.credentials.sign_image` (ES256, test CA, no timestamp authority), no ingredient;
* sign + ingredient – the same with the provider's own signed image as the parent ingredient (what brandkit does
  after an overlay fix when the model's image carries Content Credentials);
* read – :func:`brandkit.credentials.read_credentials` (full validation, trust anchor given) of the signed file.

Ratios are against the baseline measured in the same run. Sizes: the unsigned file, the signed one, and the
difference (C2PA's JUMBF store: claim, signature with the certificate chain, thumbnails; with an ingredient, the
model's whole manifest store too).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PIL import Image

from brandkit.asset import embed_provenance
from brandkit.atomic import atomic_write_all
from brandkit.credentials import CredentialSigner, read_credentials, sign_image
from brandkit.credentials.devcert import make_chain
from brandkit.credentials.sign import TRAINED
from tests.support.posters import make_poster

ACTIONS = [{"action": "c2pa.created", "digitalSourceType": TRAINED, "softwareAgent": {"name": "gpt-image-2"}}]


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def _encode(fmt: str) -> bytes:
    image = Image.fromarray(make_poster(1024, 1024, seed=1))
    out = io.BytesIO()
    options: dict[str, object] = {"png": {}, "jpeg": {"quality": 90}, "webp": {"lossless": True}}[fmt]
    image.save(out, {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt], **options)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    ours, model = make_chain("bench brandkit"), make_chain("bench model")
    signer, model_signer = (CredentialSigner(c.chain_pem, c.key_pem) for c in (ours, model))
    record = {"generator": "brandkit/bench", "spec_name": "bench", "checks": {"palette": "passed"}}
    assertion = {"spec": {"name": "bench", "version": "1.0.0", "fingerprint": "0" * 16}, "attempt": 1}
    header = (
        "| format | plain save (baseline) ms | sign ms | × | sign + ingredient ms | × | read ms | × "
        "| unsigned kB | signed kB | overhead kB | + ingredient kB |"
    )
    print(f"Content Credentials at 1024×1024, median of {args.runs} runs (ES256, no TSA)\n")
    print(header)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("png", "jpeg", "webp"):
            raw = _encode(fmt)
            data = embed_provenance(raw, fmt, record)
            provider = sign_image(raw, model_signer, actions=ACTIONS, assertion={}, title="model output")
            target = Path(folder) / f"a.{fmt}"

            opened = [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["provider"]}}]
            save = partial(atomic_write_all, [(target, data), (target.with_suffix(".json"), b"{}")])
            sign = partial(sign_image, data, signer, actions=ACTIONS, assertion=assertion, title="asset")
            sign_ingredient = partial(
                sign_image, data, signer, actions=opened, assertion=assertion, title="asset", parent=provider
            )
            signed, with_parent = sign(), sign_ingredient()
            assert read_credentials(signed, ours.ca_pem).state == "trusted"
            assert read_credentials(with_parent, ours.ca_pem).state == "trusted"
            base = _median_ms(save, args.runs)
            t_sign = _median_ms(sign, args.runs)
            t_ing = _median_ms(sign_ingredient, args.runs)
            t_read = _median_ms(partial(read_credentials, signed, ours.ca_pem), args.runs)
            print(
                f"| {fmt} | {base:.1f} | {t_sign:.1f} | {t_sign / base:.1f} | {t_ing:.1f} | {t_ing / base:.1f} "
                f"| {t_read:.1f} | {t_read / base:.2f} | {len(data) / 1000:.0f} | {len(signed) / 1000:.0f} "
                f"| +{(len(signed) - len(data)) / 1000:.0f} | +{(len(with_parent) - len(data)) / 1000:.0f} |"
            )


if __name__ == "__main__":
    main()
