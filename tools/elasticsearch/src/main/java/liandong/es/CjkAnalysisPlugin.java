package liandong.es;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.PreBuiltAnalyzerProviderFactory;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.indices.analysis.PreBuiltCacheFactory.CachingStrategy;
import org.elasticsearch.lucene.analysis.miscellaneous.DisableGraphAttribute;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The CJK part of Elasticsearch's analysis-common module, under the same names and settings.
 *
 * <p>Elastic does not publish the analysis-common module (org.elasticsearch.analysis.common.
 * CommonAnalysisPlugin) to Maven Central for 8.x, so this registers the same components over the
 * same Lucene classes (lucene-analysis-common, which the server jar depends on):
 *
 * <ul>
 *   <li>analyzer {@code cjk} (settings: {@code stopwords}, {@code stopwords_path}; default: Lucene's
 *       CJK stop set), also usable pre-built as {@code "analyzer": "cjk"};
 *   <li>token filter {@code cjk_bigram} (settings: {@code ignored_scripts} of han, hiragana,
 *       katakana, hangul; {@code output_unigrams}), also pre-configured;
 *   <li>token filter {@code cjk_width}, also pre-configured.
 * </ul>
 *
 * <p>{@code lowercase} and {@code standard} are already pre-configured by the server itself, so a
 * custom analyzer {@code tokenizer: standard, filter: [cjk_width, lowercase, cjk_bigram]} works too.
 * Index mappings written against this plugin therefore work unchanged on a stock Elasticsearch 8.
 */
public final class CjkAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("cjk", CjkAnalyzerProvider::new);
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of("cjk_bigram", CjkBigramFilterFactory::new, "cjk_width", CjkWidthFilterFactory::new);
    }

    @Override
    public List<PreBuiltAnalyzerProviderFactory> getPreBuiltAnalyzerProviderFactories() {
        return List.of(new PreBuiltAnalyzerProviderFactory("cjk", CachingStrategy.LUCENE, CJKAnalyzer::new));
    }

    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        return List.of(
            PreConfiguredTokenFilter.singleton("cjk_bigram", false, CJKBigramFilter::new),
            PreConfiguredTokenFilter.singleton("cjk_width", true, CJKWidthFilter::new)
        );
    }

    /** {@code "type": "cjk"} analyzer with optional custom stop words. */
    static final class CjkAnalyzerProvider extends AbstractIndexAnalyzerProvider<CJKAnalyzer> {
        private final CJKAnalyzer analyzer;

        CjkAnalyzerProvider(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name, settings);
            analyzer = new CJKAnalyzer(Analysis.parseStopWords(env, settings, CJKAnalyzer.getDefaultStopSet()));
        }

        @Override
        public CJKAnalyzer get() {
            return analyzer;
        }
    }

    /** {@code "type": "cjk_width"}: folds full-width ASCII and half-width Katakana. */
    static final class CjkWidthFilterFactory extends AbstractTokenFilterFactory {
        CjkWidthFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name, settings);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new CJKWidthFilter(tokenStream);
        }

        @Override
        public TokenFilterFactory getSynonymFilter() {
            return this;
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            return create(tokenStream);
        }
    }

    /** {@code "type": "cjk_bigram"}: bigrams of CJK runs, optionally with the unigrams too. */
    static final class CjkBigramFilterFactory extends AbstractTokenFilterFactory {
        private final int flags;
        private final boolean outputUnigrams;

        CjkBigramFilterFactory(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name, settings);
            outputUnigrams = settings.getAsBoolean("output_unigrams", false);
            Set<String> scripts = new HashSet<>(Set.of("han", "hiragana", "katakana", "hangul"));
            List<String> ignored = settings.getAsList("ignored_scripts");
            if (ignored != null) {
                scripts.removeAll(ignored);
            }
            int f = 0;
            for (String script : scripts) {
                switch (script) {
                    case "han" -> f |= CJKBigramFilter.HAN;
                    case "hiragana" -> f |= CJKBigramFilter.HIRAGANA;
                    case "katakana" -> f |= CJKBigramFilter.KATAKANA;
                    case "hangul" -> f |= CJKBigramFilter.HANGUL;
                    default -> throw new IllegalArgumentException("unknown script [" + script + "] in [ignored_scripts]");
                }
            }
            flags = f;
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            CJKBigramFilter filter = new CJKBigramFilter(tokenStream, flags, outputUnigrams);
            if (outputUnigrams) {
                // Unigrams and bigrams at overlapping positions are no sensible token graph.
                filter.addAttribute(DisableGraphAttribute.class);
            }
            return filter;
        }
    }
}
