const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };
const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m] ?? m);

/**
 * A search highlight (`<em>` around the matching parts, the rest HTML-escaped) rendered as text
 * nodes and <mark>s, never as HTML: what a department wrote can never become markup here.
 */
export function Highlight({ fragment }: { fragment: string }) {
  const parts = fragment.split(/(<em>.*?<\/em>)/g).filter(Boolean);
  return (
    <>
      {parts.map((p, i) => (p.startsWith('<em>') ? <mark key={i}>{unescape(p.slice(4, -5))}</mark> : <span key={i}>{unescape(p)}</span>))}
    </>
  );
}
