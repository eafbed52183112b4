-- Every check run on a submission is recorded once, in check_results (005), which has
-- all the columns expectation_results (002) had. Writing both doubled the work of every
-- load; expectation_results stays queryable as a view over check_results.
drop table if exists expectation_results;

create view expectation_results as
select run_id, submission_id, suite, expectation, column_name, success, unexpected_count
from check_results;
