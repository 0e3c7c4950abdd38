// Pages hold generated text between markers (the benches' tables, published runs' figures); tests read it back.

/** What a page holds between `<!-- name -->` and `<!-- /name -->`, and how to write it there. */
export function marked(name: string) {
  const re = new RegExp(`<!-- ${name} -->\\n?([\\s\\S]*?)\\n?<!-- /${name} -->`);
  return {
    read: (page: string): string | undefined => re.exec(page)?.[1],
    write: (page: string, text: string): string => page.replace(re, () => `<!-- ${name} -->\n${text}\n<!-- /${name} -->`),
  };
}
