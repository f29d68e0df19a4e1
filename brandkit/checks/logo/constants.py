"""Tunable constants of the logo check: detection (ORB, template matching) and rules (see the package docstring)."""

from __future__ import annotations

TEMPLATE_WORK_WIDTH = 320
ORB_MIN_INLIERS = 12
ORB_RATIO = 0.75
ORB_VERIFY_MIN = 0.6
ORB_SCENE_FEATURES = 3000
ORB_MAX_SCENE_SIDE = 2048
ORB_SMALL_LOGO_PX = 200
ORB_MAX_UPSCALE = 2.0
ORB_MAX_UPSCALED_PIXELS = 6_000_000
ORB_CROP_MARGIN = 1.0
"""Upsampled ORB runs on each coarse candidate's box widened by this share of its width/height on every side."""
ORB_MIN_CROP_FEATURES = 100
"""At least this many keypoints on a candidate's crop."""
ORB_PATCH_BORDER = 32
"""ORB drops keypoints this close (upsampled px) to the image border: the crop gets that much more room."""
RANSAC_MAX_ITERS = 2000
"""OpenCV's own default cap on RANSAC samples (``findHomography``'s ``maxIters``)."""
RANSAC_FIND_CONFIDENCE = 0.9999
"""RANSAC draws enough samples to find a homography with :data:`ORB_MIN_INLIERS` inliers, when one exists, with
this probability (OpenCV's own stopping rule, at a stricter confidence than its 0.995): the cap only cuts runs that
have found no acceptable homography by then — see :func:`~brandkit.checks.logo.orb.ransac_iterations`."""
RANSAC_MIN_ITERS = 100
"""…and never fewer samples than this."""
TEMPLATE_SCENE_SIDE = 1024
TEMPLATE_THRESHOLD = 0.85
COARSE_MIN_SIDE = 200
COARSE_MIN_TEMPLATE = 24
COARSE_MIN_TEMPLATE_HEIGHT = 10
COARSE_BLUR = 1.0
COARSE_STEP = 1.1
COARSE_LEVEL_RATIO = 2.0**0.5
COARSE_CANDIDATES = 4
"""The coarse search's best places refined by the fine search."""
COARSE_SIZED_CANDIDATES = 2
"""Of the coarse candidates, at least this many are of a width the size rule allows (when there are any)."""
LARGE_SCENE_SIDE = 2048
"""On an image whose long side is larger (a print export, a large banner; the whole-scene ORB already reads it
shrunk to ``ORB_MAX_SCENE_SIDE``), the coarse search keeps :data:`LARGE_COARSE_CANDIDATES` places, of which
:data:`LARGE_COARSE_SIZED_CANDIDATES` of an allowed width: a thin wordmark's coarse score ties with a photograph's
texture, and a 4,608-px banner's logo came fifth (``bench_logo_scale``: false reject 4/90 at 3× with four, 0/90
with six). Up to this side the four of before are kept: six cost 22–30 % more CPU on a photograph without its logo
(``bench_logo_rules``) and changed no decision on the images of that size."""
LARGE_COARSE_CANDIDATES = 6
LARGE_COARSE_SIZED_CANDIDATES = 3
COARSE_SIZE_SLACK = 1.1
"""A coarse candidate's width counts as allowed within this factor of the allowed range (the coarse search's
width steps are 10 % apart)."""
FINE_SCALE_RANGE = 0.1
FINE_SCALE_STEPS = 11
LARGE_FINE_SCALE_RANGE = 0.2
LARGE_FINE_SCALE_STEPS = 21
"""On an image larger than :data:`LARGE_SCENE_SIDE`, each coarse candidate's width is refined over ±20 % (the same
2 % steps): the coarse search reads large widths on small pyramid levels, where the logo's own place scored best at a
width two 10 % steps under its own (a Lumen banner enlarged 2.7×: 447 px for a 524-px logo), out of reach of ±10 %
(``bench_logo_scale`` at 2.7×: 4 of 90 not found)."""
TEMPLATE_PARTS = 3
TEMPLATE_PART_MIN = 0.3
"""A template reading over :data:`TEMPLATE_THRESHOLD` is the logo only when each of its :data:`TEMPLATE_PARTS` parts
(bands across its long side holding equal shares of its contrast) correlates with the window at least this much on
its own (:mod:`~brandkit.checks.logo.parts`); else the next candidate is tried. On ads whose logo was taken out,
enlarged 2× and 2.7×, readings over the bar had a part at 0.01 or below (a dot matching the Northwind mark on flat
ground) or, for a patch of photograph read as a small Lumen logo, 0.19; a logo found keeps its weakest part at 0.36 or
more (a too-small logo enlarged 2.7×, soft), 0.76 or more at an allowed size (``bench_logo_rules --scale``,
``bench_logo_scale``, ``bench_gates --enlarge``; see benchmarks.md)."""
NEAR_ASPECTS = (0.92, 1.08)
SEARCH_MIN_WIDTH_SHARE = 0.6
SEARCH_MAX_WIDTH_SHARE = 1.5
MAX_ASPECT_CHANGE = 0.05
DISTORTION_MARGIN = 0.02
WIDTH_TOLERANCE = 0.03
MASK_ALPHA = 128
MIN_WINDOW_STD = 6.0
MAX_ROTATION_DEG = 3.0
CLEAR_SPACE_GAP = 0.06
CLEAR_SPACE_MAX_EDGE_DENSITY = 0.02
CLEAR_SPACE_OUTER_SLACK = 0.1
CLEAR_SPACE_REF_HEIGHT = 64
"""A logo taller than this (px) has its clear space judged on its surround reduced (area-averaged) until the logo is
this tall: Canny's edges are thin, so their density in the band fell with the image's resolution (a word in the
clear space of an ad enlarged 3× read a third of it: ``bench_logo_rules --edits "as drawn,crowded" --scale 3``,
false accept 48/66 → 0/66), and a resampled JPEG copy's ringing beside the wordmark reached past the gap
(``bench_logo_scale`` at 1.75–2.1×: 2/90 → 0/90). Logos up to this height (a third of the corpus's at the ads' own
size) are read as before."""
COARSE_EXIT_SCORE = 0.6
RIVAL_OVERLAP = 0.5
"""Without provenance, another variant's distorted reading overrules a pass when their boxes overlap by at least
this share of the smaller box (the same logo) — see :func:`~brandkit.checks.logo.variants.rival`."""
BOX_DISTORTED_ASPECTS = (0.9, 1.1)
"""A logo found at the layout's box or by ORB is also tried with its height × these (the width kept): a logo stretched
or squashed in place still matches the undistorted template there (a wide wordmark keeps its middle rows; the
Ubuntu logo stretched 10 % scored 0.93–0.94 undistorted), and a thin logo's ORB homography can miss the stretch.
When one is better by ``DISTORTION_MARGIN``, the heights of :data:`BOX_DISTORTED_REFINE` on its side are tried too
and the best reading is kept (:func:`~brandkit.checks.logo.verify.distorted_in_place`)."""
BOX_DISTORTED_REFINE = {0.9: (0.8, 0.85, 0.94), 1.1: (1.06, 1.18, 1.25)}
EXPECTED_BOX_WIDTHS = (-3, 2)
"""At the layout's logo box, every integer visible width from the expected one −3 to +2 px is tried first."""
SIZED_TEMPLATES_BYTES = 32 * 2**20
"""Each prepared logo keeps its template resized to the sizes recently asked for (the same few sizes recur image after
image for one format) up to about this many bytes, the least recently used dropped first."""
OPAQUE_ALPHA = 250
"""The alpha from which a logo file's pixel counts as fully opaque (one-colour logos, the logo's colours)."""
LOGO_COLOUR_MIN_SHARE = 0.02
"""A colour of the logo file is compared with the image when it covers at least this share of the file's fully
opaque pixels (:mod:`~brandkit.checks.logo.colour`)."""
LOGO_COLOUR_PART_SHARE = 0.1
"""A connected part of one of the logo's colours covering at least this share of its opaque pixels is compared on its
own (:func:`~brandkit.checks.logo.colour.logo_colours`): the Northwind mark (a fifth of the logo) turned grey beside
its near-black wordmark was outvoted by the wordmark in their colour's median."""
LOGO_COLOUR_ASSIGN = 6.0
"""A fully opaque pixel of the logo belongs to one of its colours when within this ΔE00 of it; the blends between two
colours (a white figure's edge inside an orange disc) belong to none and are not compared."""
LOGO_COLOUR_MIN_PIXELS = 12
"""A colour is measured where at least this many of its pixels lie inside the logo found (after its edge is shrunk)."""
LOGO_COLOUR_CORE_SHARE = 0.45
"""An area's median decides the recolour rule when at least this share of it lies a pixel clear of its edge; thinner
strokes (the Ubuntu wordmark at an ad's size) take the ground's colour and lose their chroma to JPEG's halved colour
resolution — an on-brand resized JPEG copy read its aubergine 16–17 off (12.6 seen with the viewing flare,
``colour.VIEWING_FLARE``) — and count in the whole logo's upper quartile only."""
LOGO_RECOLOUR_DE = 16.0
"""The logo is recoloured when a deciding area's median ΔE00, or the ΔE00 a quarter of all its compared pixels exceed,
is over this (:mod:`~brandkit.checks.logo.colour`). On the gate corpus's on-brand real-photo ads the worst read 1.5
as composed, 8.4 as JPEG copies, 10.3 as resized JPEG copies, and 12.4 enlarged up to 3× (``bench_gates``,
``bench_logo_scale``); the recolours read 20.0 (the Lumen one-colour logo's hues turned round) and 23.6 or more
(a logo in grey, the gate corpus's greyed, tinted, darkened and primary-less ads): the bar lies between, 3.6 above
the one and 4.0 under the other. A recolour under ~10 (the Lumen slate turned grey: 9.5) is within what JPEG does to
the genuine logo and passes."""
VARIANT_COLOUR_MARGIN = 3.0
"""Without provenance, another variant read at the box where one was found is named instead when its colours fit
better by more than this (worst deciding ΔE00, :mod:`~brandkit.checks.logo.variants`)."""
