// Where each tile of the room goes. The stage is measured on every change and resize, and
// the tiles are placed absolutely, so none is moved in the DOM (moving a <video> would pause
// it): either a grid of equal 16:9 tiles, as large as the stage allows (the columns that
// give the widest tile win, as in Meet and Jitsi), in pages when they would get too small;
// or one featured tile (a shared screen, a pinned person, the active speaker) large above a
// strip of the others. On a phone one's own view floats small in a corner.

const GAP = 8;
const RATIO = 16 / 9;

/** The largest grid of `count` 16:9 tiles that fits `width` × `height`. */
export function bestGrid(count, width, height, gap = GAP) {
  let best = { columns: 1, rows: 1, tileWidth: 0, tileHeight: 0 };
  for (let columns = 1; columns <= Math.max(1, count); columns++) {
    const rows = Math.ceil(count / columns);
    const byWidth = (width - (columns - 1) * gap) / columns;
    const byHeight = ((height - (rows - 1) * gap) / rows) * RATIO;
    const tileWidth = Math.floor(Math.min(byWidth, byHeight));
    if (tileWidth > best.tileWidth) {
      best = { columns, rows, tileWidth, tileHeight: Math.floor(tileWidth / RATIO) };
    }
  }
  return best;
}

/** How many tiles one page holds so that none gets narrower than `minWidth`. */
export function perPage(count, width, height, minWidth) {
  for (let n = count; n > 1; n--) if (bestGrid(n, width, height).tileWidth >= minWidth) return n;
  return 1;
}

function place(el, x, y, w, h) {
  el.hidden = false;
  el.classList.remove("off-page");
  el.style.left = Math.round(x) + "px";
  el.style.top = Math.round(y) + "px";
  el.style.width = Math.round(w) + "px";
  el.style.height = Math.round(h) + "px";
}

function hide(el) {
  el.classList.add("off-page");
}

/** Lay `tiles` out in a `width` × `height` grid page `page`; returns the number of pages. */
function grid(tiles, width, height, page, minWidth) {
  const size = perPage(tiles.length, width, height, minWidth);
  const pages = Math.max(1, Math.ceil(tiles.length / size));
  const current = Math.min(page, pages - 1);
  const shown = tiles.slice(current * size, current * size + size);
  const g = bestGrid(shown.length, width, height);
  const top = (height - (g.rows * g.tileHeight + (g.rows - 1) * GAP)) / 2;
  shown.forEach((el, i) => {
    const row = Math.floor(i / g.columns);
    const inRow = row === g.rows - 1 ? shown.length - row * g.columns : g.columns;
    const left = (width - (inRow * g.tileWidth + (inRow - 1) * GAP)) / 2;
    place(el, left + (i % g.columns) * (g.tileWidth + GAP), top + row * (g.tileHeight + GAP),
      g.tileWidth, g.tileHeight);
  });
  for (const el of tiles) if (!shown.includes(el)) hide(el);
  return { pages, page: current };
}

/**
 * Arrange the tiles of `stage`. `featured` is the tile shown large (or null for the grid),
 * `self` one's own tile (floating when `pip`), `page` the grid or strip page wanted.
 */
export function arrange(stage, { tiles, featured, self, pip, page }) {
  const width = stage.clientWidth, height = stage.clientHeight;
  const narrow = width < 600;
  let rest = tiles.filter((el) => el !== featured);
  // with a featured tile one's own view sits in the strip like everybody else's
  const floating = pip && self && !featured && tiles.length > 1 ? self : null;
  if (floating) {
    rest = rest.filter((el) => el !== floating);
    const w = Math.min(140, width * 0.32);
    place(floating, width - w - GAP, height - w / RATIO - GAP, w, w / RATIO);
    floating.classList.add("floating");
  }
  for (const el of tiles) if (el !== floating) el.classList.remove("floating");
  for (const el of tiles) el.classList.toggle("featured", el === featured);
  if (!featured) return grid(rest, width, height, page, narrow ? 150 : 240);
  if (!rest.length) {
    place(featured, 0, 0, width, height);
    return { pages: 1, page: 0 };
  }
  const stripHeight = Math.max(60, Math.min(150, height * 0.22));
  place(featured, 0, 0, width, height - stripHeight - GAP);
  const stripWidth = stripHeight * RATIO;
  const fit = Math.max(1, Math.floor((width + GAP) / (stripWidth + GAP)));
  const pages = Math.ceil(rest.length / fit);
  const current = Math.min(page, pages - 1);
  const shown = rest.slice(current * fit, current * fit + fit);
  const left = (width - (shown.length * stripWidth + (shown.length - 1) * GAP)) / 2;
  shown.forEach((el, i) => place(el, left + i * (stripWidth + GAP), height - stripHeight,
    stripWidth, stripHeight));
  for (const el of rest) if (!shown.includes(el)) hide(el);
  return { pages, page: current };
}
