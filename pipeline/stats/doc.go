// Package stats holds the confidence intervals used to compare an indicator
// of a bassin with the same indicator for the whole Region.
//
// Two families of intervals are used:
//
//   - Counts and rates (events over a population, e.g. per 10,000
//     inhabitants) get the exact Poisson interval of Garwood (1936),
//     computed through its chi-square form (Ulm 1990):
//
//     lower = χ²(α/2; 2k) / 2      (0 when k = 0)
//     upper = χ²(1−α/2; 2k+2) / 2
//
//     Many bassins have small counts (a handful of events a year), where the
//     normal approximation k ± z√k gives negative or far too narrow bounds.
//     The exact interval keeps at least the nominal coverage for every k and
//     converges to the normal one for large counts. RateCI divides the count
//     interval by the denominator (the population is treated as fixed).
//
//   - Proportions (k successes out of n) get the Wilson (1927) score
//     interval, which stays inside [0, 1], is defined for k = 0 and k = n,
//     and has coverage close to nominal even for small n (Newcombe 1998
//     compares seven methods and recommends it).
//
// A bassin is flagged as different from the Region when the regional value
// lies outside the bassin's interval (Excludes).
//
// The chi-square quantile is obtained by inverting the regularized
// incomplete gamma function P(a, x) (series for x < a+1, Lentz continued
// fraction otherwise, as in Numerical Recipes, with math.Lgamma) by a
// Newton iteration safeguarded by bisection, to a relative precision of
// 1e-12. The normal quantile refines math.Erfcinv by Newton steps on
// log Φ, so that it stays accurate far in the tails.
//
// Invalid input (a level outside (0, 1), a negative count, k > n, a
// non-positive denominator) yields NaN bounds rather than an error, so that
// a missing interval propagates through tables as "not available".
//
// References:
//
//   - Garwood F. (1936). Fiducial limits for the Poisson distribution.
//     Biometrika 28(3/4):437–442.
//   - Wilson E.B. (1927). Probable inference, the law of succession, and
//     statistical inference. J. Am. Stat. Assoc. 22(158):209–212.
//   - Ulm K. (1990). A simple method to calculate the confidence interval
//     of a standardized mortality ratio. Am. J. Epidemiol. 131(2):373–375.
//   - Newcombe R.G. (1998). Two-sided confidence intervals for the single
//     proportion: comparison of seven methods. Stat. Med. 17(8):857–872.
//   - Press W.H. et al. Numerical Recipes, 3rd ed., §6.2 (incomplete gamma
//     function).
package stats
