//! A built-in sample in the Mall Customers format, used when the run gives no CSV.
//! The rows are made up for this example.

/// Twenty customers, with a tie on spending score (ids 4 and 15) to show the sort order.
pub const SAMPLE_CSV: &str = "\
CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)
1,Female,23,18,62
2,Male,35,22,14
3,Female,41,25,48
4,Male,19,27,77
5,Female,52,30,33
6,Female,29,33,91
7,Male,64,35,9
8,Female,31,38,55
9,Male,45,41,40
10,Female,27,44,68
11,Male,38,47,22
12,Female,58,50,45
13,Male,22,54,83
14,Female,33,57,71
15,Male,47,61,77
16,Female,36,65,18
17,Male,28,70,95
18,Female,49,76,27
19,Male,55,82,12
20,Female,30,88,86
";
