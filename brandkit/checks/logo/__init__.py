"""Logo check: is the expected logo there, large enough, in place, undistorted and given room?

**Detection** (OpenCV, offline; see ``offline-components.md`` §5):

1. *ORB + ratio test + RANSAC homography.* ORB features of the logo (alpha-trimmed,
   composited over the ordered background tone, resized to
   :data:`TEMPLATE_WORK_WIDTH` px) are matched against ORB features of the scene
   (Lowe ratio 0.75). A homography with at least :data:`ORB_MIN_INLIERS` RANSAC
   inliers whose projected outline is a sane convex quadrilateral is accepted,
   then verified with a masked correlation of the logo against the scene at the
   found box; a homography whose verification score is below :data:`ORB_VERIFY_MIN`
   is rejected (the brand name set in the same font elsewhere produces such
   false matches). ORB is fast (~20 ms) and finds logos of about 128 px and larger;
   when the smallest allowed logo is under :data:`ORB_SMALL_LOGO_PX` px it is run a
   second time upsampled up to 2× (at most :data:`ORB_MAX_UPSCALED_PIXELS` pixels for the whole scene), on the
   surroundings of each coarse candidate (step 2) rather than the whole scene, with as many keypoints per pixel,
   which recovers many logos of 90–130 px.
   Every reading is verified at full resolution (widths ±4%, both roundings of
   the height) and compared with the undistorted logo at the same place.
   *Early exit*: when ORB at full resolution finds nothing, the coarse template search below runs before the
   upsampled ORB; when its best score is under :data:`COARSE_EXIT_SCORE` nothing in the image resembles the
   logo at any allowed size and the search ends (``detection.early_exit``). Otherwise its candidates are reused.
   RANSAC draws only the samples that can find a homography with :data:`ORB_MIN_INLIERS` inliers
   (:func:`~brandkit.checks.logo.orb.ransac_iterations`; the same homographies as OpenCV's uncapped run).
   OpenCV runs single-threaded while the check runs (:mod:`brandkit.checks.opencv_threads`: its pool only adds
   CPU here).
2. *Masked multi-scale template matching* when ORB finds nothing
   (``TM_CCOEFF_NORMED`` with the logo's alpha as mask), coarse to fine. Coarse:
   a pyramid of the grey scene (levels :data:`COARSE_LEVEL_RATIO` = √2 apart), each logo width matched on the
   smallest level at which the template stays ≥ :data:`COARSE_MIN_TEMPLATE` px wide and
   :data:`COARSE_MIN_TEMPLATE_HEIGHT` px tall, scene and template
   both blurred (σ = 1 px, which makes the correlation peak tolerant to a few %
   of scale error), logo widths in 10% steps from 0.6 × ``min_width_px`` to
   1.5 × ``max_width_share`` × image width; the best two places per scale give up
   to :data:`COARSE_CANDIDATES` distinct candidates (:data:`LARGE_COARSE_CANDIDATES` on an image larger than
   :data:`LARGE_SCENE_SIDE`, where a level above the top one also keeps the smallest widths' templates at their
   minimum size), at least :data:`COARSE_SIZED_CANDIDATES` of them of a width the size rule allows (ranked by
   Fisher's z of their correlation: on photographs the smallest widths' blob-like templates score highest by chance
   and would crowd a real logo out). Only windows centred where the variant's
   placements allow the logo are scored (:func:`~brandkit.checks.logo.rules.placement_regions`; ORB in step 1
   looks everywhere): a logo found elsewhere would fail the placement rule anyway. Fine: around each candidate,
   on the scene downscaled to at most :data:`TEMPLATE_SCENE_SIDE` px and not
   blurred, widths ±10% in 2% steps, then a full-resolution polish (±2% in 0.5%
   steps, both roundings of the height: thin-stroked wordmarks lose ~0.2 of
   score at 3–5% scale error), every size of one place matched in one shared
   :class:`~brandkit.checks.logo.matching.Region`. A score of at least :data:`TEMPLATE_THRESHOLD`
   is a detection when each of the template's :data:`TEMPLATE_PARTS` parts scores at least
   :data:`TEMPLATE_PART_MIN` on its own (:mod:`~brandkit.checks.logo.parts`: a blob matching the logo's heaviest
   part is not the logo; the next candidate is tried). A one-colour logo (its file's opaque pixels one grey) is
   matched as a silhouette against the backdrop, not through its alpha mask. Near-flat windows are ignored
   (masked correlation is unstable there, see :func:`_masked_score`). A squashed or stretched logo is read by ORB
   (its homography measures the distortion) and, once found at the layout's box or by ORB, by its heights × 0.9 /
   1.1 and finer in place
   (:data:`BOX_DISTORTED_ASPECTS`: a thin logo's homography can miss a 10 % stretch the pixels show); a
   distorted template search over the candidates (heights × 0.6–1.67) ran here until 2026-12-05 and was dropped:
   on 792 edited real-photo ads it named no distortion, for a fifth of every logo-free search's cost.

Measured on 80 synthetic 1024² scenes (random colour fields, noise σ=4, random
rectangles, the brand name set as text as a distractor, JPEG q60–90): the drawn
test logo 26/26 found at 60–330 px, the Northwind wordmark logo 23/26 at 100–330 px
(misses: thin wordmark under ~250 px on busy backgrounds → reported missing, which
fails closed), 0 false positives on 28 logo-free scenes (best negative score 0.80
and 0.43 against the 0.85 threshold).

**Rules** (measured on the visible logo, i.e. its alpha bounding box, except the
width, which is reported in widths of the whole logo file — the visible width ×
file width / visible width in the file — because that is what the spec's
``min_width_px`` and the compose stage size):

* *Distortion*: the aspect ratio (height/width) of the detected logo differs from
  the file's by more than :data:`MAX_ASPECT_CHANGE` (5%), or it is rotated or
  skewed by more than :data:`MAX_ROTATION_DEG` degrees. A distorted reading is
  only kept when the distorted template fits the pixels better than the
  undistorted one by :data:`DISTORTION_MARGIN` (homographies of small logos are
  imprecise).
  Without provenance every variant is searched; another variant's distorted reading of the same logo that
  fits better overrules a variant's pass (:data:`RIVAL_OVERLAP`; ``details.overruled``).
* *Size*: rendered width ≥ ``min_width_px`` and ≤ ``max_width_share`` × image width,
  each with a :data:`WIDTH_TOLERANCE` (3%) allowance for measurement error.
* *Placement*: the image is cut into a 3×3 grid of equal thirds; the centre of the
  logo box must lie in the cell of one of the allowed placements:
  ``top-left`` / ``top-center`` / ``top-right`` = top row, left / middle / right
  column; ``bottom-left`` / ``bottom-center`` / ``bottom-right`` = bottom row;
  ``center`` = the middle cell. (The middle-left and middle-right cells match no
  placement.)
* *Clear space*: the band of width ``clear_space`` × logo height around the box
  must be free of other content. Measured from :data:`CLEAR_SPACE_GAP` × logo
  height (anti-aliasing and localisation error next to the logo) to the band's
  width minus a slack of :data:`CLEAR_SPACE_OUTER_SLACK` (≥ 2 px; an edge lying
  on the boundary, like a backing panel, is not an intrusion). Canny edges
  (thresholds 60/160 after a 3×3 Gaussian blur) may cover at most
  :data:`CLEAR_SPACE_MAX_EDGE_DENSITY` (2%) of any chunk of the band; each side
  is cut into chunks twice as long as the band is thick, so one intruding word is
  not diluted by a long empty band. Flat colour and smooth gradients have no
  edges; text, shapes and busy photographic texture do. A logo taller than
  :data:`CLEAR_SPACE_REF_HEIGHT` (64 px) is judged on its surround reduced until
  it is that tall (``measured_at_scale``): the same design reads the same at any
  size.
  With ``require_edge_margin`` (default) the band must also fit inside the image:
  the logo may not be closer to the image edge than its clear space.

* *Colour* (``recoloured``): the shape is matched in grey, so the file's colours
  (:func:`~brandkit.checks.logo.colour.logo_colours`: its fully opaque pixels in at most six colours, blends left
  out) are compared with the image where the logo was found, each colour's area shrunk by a pixel: a colour whose
  median ΔE00 exceeds :data:`LOGO_RECOLOUR_DE`, or a quarter of all the pixels compared beyond it, is a recolour.
  A colour thinner than :data:`LOGO_COLOUR_CORE_SHARE` allows (a wordmark's strokes at an ad's size, whose chroma
  JPEG halves) counts in the whole logo's quarter only. Without provenance, when the variant found has colours
  off by more than :data:`VARIANT_COLOUR_MARGIN`, the other variants whose colours fit better at its box are read
  there and the best fit is named and judged (:mod:`~brandkit.checks.logo.variants`, ``details.variant_fits``).

Details report the box, rendered width, scale, match score, method, the rules'
measurements; each failure adds a precise repair hint.

**Layout of this package**: ``constants.py`` (every tunable above), ``prepare.py`` (:class:`PreparedLogo`,
:class:`LogoDetection`, the grey scene), ``matching.py`` (masked-correlation primitives), ``verify.py`` (the logo
verified near a place, at a few sizes, and read distorted in place), ``orb.py`` (step 1),
``template.py`` (step 2), ``scene.py`` (the grey scene's statistics, and :class:`LogoScene`: what the variants of
one image share — a file without provenance is searched for every variant, first by ORB on the whole scene for
all of them, then fully variant by variant, on one scene: keypoints, coarse levels and their window sums computed
once — the dark-canvas variants' too, unless the file has see-through pixels: ``prepare.backdrop_shows``),
``features_cache.py`` (prepared logos in the warm disk cache; :func:`warm_logo` fills it ahead of use),
``detection.py`` (:func:`detect_logo`: the layout's
box first, then 1, then 2),
``rules.py`` (placement grid and the regions searched, clear-space band), ``colour.py`` (the file's colours and
the recolour rule), ``variants.py`` (which variant is on an image without provenance: the rival distorted reading,
the colour fit),
``check.py`` (:class:`LogoCheck`, which applies the rules),
(OpenCV single-threaded for the span of a check: :mod:`brandkit.checks.opencv_threads`, shared with the OCR read.)
This module re-exports the names the single ``logo.py`` module had.
"""

from __future__ import annotations

from brandkit.checks.logo.check import LogoCheck
from brandkit.checks.logo.constants import (
    BOX_DISTORTED_ASPECTS,
    BOX_DISTORTED_REFINE,
    CLEAR_SPACE_GAP,
    CLEAR_SPACE_MAX_EDGE_DENSITY,
    CLEAR_SPACE_OUTER_SLACK,
    CLEAR_SPACE_REF_HEIGHT,
    COARSE_BLUR,
    COARSE_CANDIDATES,
    COARSE_EXIT_SCORE,
    COARSE_LEVEL_RATIO,
    COARSE_MIN_SIDE,
    COARSE_MIN_TEMPLATE,
    COARSE_MIN_TEMPLATE_HEIGHT,
    COARSE_SIZE_SLACK,
    COARSE_SIZED_CANDIDATES,
    COARSE_STEP,
    DISTORTION_MARGIN,
    FINE_SCALE_RANGE,
    FINE_SCALE_STEPS,
    LARGE_COARSE_CANDIDATES,
    LARGE_COARSE_SIZED_CANDIDATES,
    LARGE_FINE_SCALE_RANGE,
    LARGE_FINE_SCALE_STEPS,
    LARGE_SCENE_SIDE,
    LOGO_COLOUR_ASSIGN,
    LOGO_COLOUR_CORE_SHARE,
    LOGO_COLOUR_MIN_PIXELS,
    LOGO_COLOUR_MIN_SHARE,
    LOGO_RECOLOUR_DE,
    MASK_ALPHA,
    MAX_ASPECT_CHANGE,
    MAX_ROTATION_DEG,
    MIN_WINDOW_STD,
    NEAR_ASPECTS,
    OPAQUE_ALPHA,
    ORB_CROP_MARGIN,
    ORB_MAX_SCENE_SIDE,
    ORB_MAX_UPSCALE,
    ORB_MAX_UPSCALED_PIXELS,
    ORB_MIN_CROP_FEATURES,
    ORB_MIN_INLIERS,
    ORB_PATCH_BORDER,
    ORB_RATIO,
    ORB_SCENE_FEATURES,
    ORB_SMALL_LOGO_PX,
    ORB_VERIFY_MIN,
    RIVAL_OVERLAP,
    SEARCH_MAX_WIDTH_SHARE,
    SEARCH_MIN_WIDTH_SHARE,
    TEMPLATE_PART_MIN,
    TEMPLATE_PARTS,
    TEMPLATE_SCENE_SIDE,
    TEMPLATE_THRESHOLD,
    TEMPLATE_WORK_WIDTH,
    VARIANT_COLOUR_MARGIN,
    WIDTH_TOLERANCE,
)
from brandkit.checks.logo.detection import detect_logo
from brandkit.checks.logo.features_cache import warm_logo
from brandkit.checks.logo.prepare import LogoDetection, PreparedLogo, prepare_logo
from brandkit.checks.logo.rules import PLACEMENT_CELLS, placement_of, placement_regions

__all__ = [
    "BOX_DISTORTED_ASPECTS",
    "BOX_DISTORTED_REFINE",
    "CLEAR_SPACE_GAP",
    "CLEAR_SPACE_MAX_EDGE_DENSITY",
    "CLEAR_SPACE_OUTER_SLACK",
    "CLEAR_SPACE_REF_HEIGHT",
    "COARSE_BLUR",
    "COARSE_CANDIDATES",
    "COARSE_EXIT_SCORE",
    "COARSE_LEVEL_RATIO",
    "COARSE_MIN_SIDE",
    "COARSE_MIN_TEMPLATE",
    "COARSE_MIN_TEMPLATE_HEIGHT",
    "COARSE_SIZED_CANDIDATES",
    "COARSE_SIZE_SLACK",
    "COARSE_STEP",
    "DISTORTION_MARGIN",
    "FINE_SCALE_RANGE",
    "FINE_SCALE_STEPS",
    "LARGE_COARSE_CANDIDATES",
    "LARGE_COARSE_SIZED_CANDIDATES",
    "LARGE_FINE_SCALE_RANGE",
    "LARGE_FINE_SCALE_STEPS",
    "LARGE_SCENE_SIDE",
    "LOGO_COLOUR_ASSIGN",
    "LOGO_COLOUR_CORE_SHARE",
    "LOGO_COLOUR_MIN_PIXELS",
    "LOGO_COLOUR_MIN_SHARE",
    "LOGO_RECOLOUR_DE",
    "MASK_ALPHA",
    "MAX_ASPECT_CHANGE",
    "MAX_ROTATION_DEG",
    "MIN_WINDOW_STD",
    "NEAR_ASPECTS",
    "OPAQUE_ALPHA",
    "ORB_CROP_MARGIN",
    "ORB_MAX_SCENE_SIDE",
    "ORB_MAX_UPSCALE",
    "ORB_MAX_UPSCALED_PIXELS",
    "ORB_MIN_CROP_FEATURES",
    "ORB_MIN_INLIERS",
    "ORB_PATCH_BORDER",
    "ORB_RATIO",
    "ORB_SCENE_FEATURES",
    "ORB_SMALL_LOGO_PX",
    "ORB_VERIFY_MIN",
    "PLACEMENT_CELLS",
    "RIVAL_OVERLAP",
    "SEARCH_MAX_WIDTH_SHARE",
    "SEARCH_MIN_WIDTH_SHARE",
    "TEMPLATE_PARTS",
    "TEMPLATE_PART_MIN",
    "TEMPLATE_SCENE_SIDE",
    "TEMPLATE_THRESHOLD",
    "TEMPLATE_WORK_WIDTH",
    "VARIANT_COLOUR_MARGIN",
    "WIDTH_TOLERANCE",
    "LogoCheck",
    "LogoDetection",
    "PreparedLogo",
    "detect_logo",
    "placement_of",
    "placement_regions",
    "prepare_logo",
    "warm_logo",
]
